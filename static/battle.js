// The battle page: two clips in sync, four votes (buttons or keys), the reveal, and the next
// battle, fetched and buffered while the voter watches this one. The page itself is a shell
// (a GET writes nothing): every battle, the first one too, is asked for with a POST.
// The server's watch-time rule (arena/integrity/watch.py) is shown on the vote buttons: they
// fill up while both clips play, and a vote cast before they are full is held back, with a
// message, rather than sent to be recorded as not counting.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const track = $("battle").dataset.track;
  const MIN_WATCH_MS = Number($("battle").dataset.minWatchMs || 0);
  const MIN_WATCH_FRACTION = Number($("battle").dataset.minWatchFraction || 0);
  const WATCH_MARGIN_MS = 150;  // the clips' durations as the browser sees them may differ a little
  const RULE = MIN_WATCH_MS > 0 || MIN_WATCH_FRACTION > 0;
  const SOUND = ["off", "left", "right"];
  const KEYS = { ArrowLeft: "a", "1": "a", ArrowRight: "b", "2": "b",
                 ArrowUp: "tie", "3": "tie", ArrowDown: "both_bad", "4": "both_bad" };

  const BATTLES = `/api/v1/battles?track=${encodeURIComponent(track)}`;

  let battle = null;        // none until the first POST answers
  let videos = [$("slot-left").querySelector("video"), $("slot-right").querySelector("video")];
  let next = null;          // {battle, videos} once prefetched
  let voted = false;
  let busy = false;
  let sound = 0;
  let watchMs = 0;
  let lastTick = null;

  function makeVideo(url) {
    const v = document.createElement("video");
    Object.assign(v, { src: url, muted: true, loop: true, playsInline: true, preload: "auto" });
    return v;
  }

  function status(text) { $("status").textContent = text; }

  // --- synchronised playback: the left clip leads, the right one follows -------------------
  function playBoth() {
    return Promise.all(videos.map((v) => v.play().catch(() => {})));
  }
  function pauseBoth() { videos.forEach((v) => v.pause()); }
  function togglePlay() {
    if (videos[0].paused) playBoth(); else pauseBoth();
  }
  // Watch time accrues only while both clips really play (neither paused nor starved).
  function accrue() {
    const now = performance.now();
    const playing = videos.every((v) => !v.paused && v.readyState >= 3);
    if (playing && lastTick !== null) watchMs += now - lastTick;
    lastTick = playing ? now : null;
  }
  function requiredMs() {
    if (!RULE) return 0;
    const durations = videos.map((v) => v.duration).filter((d) => Number.isFinite(d) && d > 0);
    const shorter = durations.length === 2 ? Math.min(...durations) : NaN;
    if (Number.isNaN(shorter) && MIN_WATCH_FRACTION > 0) return Infinity;  // not known yet
    const need = Math.max(MIN_WATCH_MS, Math.round(MIN_WATCH_FRACTION * (shorter || 0) * 1000));
    return need + WATCH_MARGIN_MS;
  }
  function remainingMs() { return Math.max(0, requiredMs() - watchMs); }
  function seconds(ms) { return `${(Math.ceil(ms / 100) / 10).toFixed(1)} s`; }
  // The buttons fill up as the clips play; the line above them says how long is left.
  function showWatch(held) {
    const need = requiredMs();
    const left = remainingMs();
    const progress = need === 0 ? 1 : Number.isFinite(need) ? Math.min(1, watchMs / need) : 0;
    const votes = $("votes");
    votes.style.setProperty("--watch", progress.toFixed(3));
    votes.classList.toggle("waiting", !voted && left > 0);
    const line = $("watch");
    line.hidden = !RULE || !battle;
    if (line.hidden || voted) return;
    line.classList.toggle("held", held === true || (line.classList.contains("held") && left > 0));
    line.classList.toggle("ready", left === 0);
    if (left === 0) line.textContent = "✓ Both clips played long enough: your vote will count.";
    else if (!Number.isFinite(left)) line.textContent = "Votes count once both clips have played through. Loading…";
    else if (line.classList.contains("held")) {
      line.textContent = `Not yet: keep watching both clips ${seconds(left)} more, then vote (a vote sooner would not count).`;
    } else line.textContent = `Watch both clips: your vote counts in ${seconds(left)}.`;
  }
  setInterval(() => { if (battle && !voted) { accrue(); showWatch(); } }, 100);

  function onTime() {
    const [lead, follow] = videos;
    accrue();
    if (!lead.seeking && !follow.seeking && Math.abs(follow.currentTime - lead.currentTime) > 0.12) {
      follow.currentTime = lead.currentTime;
    }
    if (follow.paused !== lead.paused) { if (lead.paused) follow.pause(); else follow.play().catch(() => {}); }
    if (lead.duration) $("seek").value = Math.round(1000 * lead.currentTime / lead.duration);
    $("play").textContent = lead.paused ? "Play" : "Pause";
  }
  function wire(vs) {
    vs[0].addEventListener("timeupdate", onTime);
    vs[0].addEventListener("play", onTime);
    vs[0].addEventListener("pause", onTime);
    let ready = 0;
    vs.forEach((v) => {
      const go = () => { if (++ready === 2) playBoth(); };
      if (v.readyState >= 3) go(); else v.addEventListener("canplay", go, { once: true });
    });
  }
  function unwire(vs) {
    vs[0].removeEventListener("timeupdate", onTime);
    vs[0].removeEventListener("play", onTime);
    vs[0].removeEventListener("pause", onTime);
    vs.forEach((v) => { v.pause(); v.removeAttribute("src"); v.load(); });
  }
  function applySound() {
    videos[0].muted = SOUND[sound] !== "left";
    videos[1].muted = SOUND[sound] !== "right";
    $("sound").textContent = `Sound: ${SOUND[sound]}`;
    const audio = Boolean(battle && battle.has_audio);
    for (const side of ["left", "right"]) {
      const on = audio && SOUND[sound] === side;
      $(`sound-${side}`).hidden = !on;
      $(`side-${side}`).classList.toggle("audible", on);
    }
  }

  // --- prefetch the next battle while this one plays ----------------------------------------
  // One prefetch at a time: Next pressed while it is on its way waits for it rather than
  // asking for another battle (which would leave one issued and never shown).
  let pending = null;
  function prefetch() {
    pending = (async () => {
      try {
        const r = await fetch(BATTLES, { method: "POST", credentials: "same-origin" });
        if (!r.ok) return;
        const b = await r.json();
        const vs = [makeVideo(b.left.url), makeVideo(b.right.url)];
        vs.forEach((v) => $("prefetch").appendChild(v));
        next = { battle: b, videos: vs };
      } catch (e) { /* the Next button fetches again */ }
    })().finally(() => { pending = null; });
  }

  function show(b, vs) {
    battle = b;
    videos = vs;
    $("battle").dataset.battleId = b.id;
    voted = false;
    watchMs = 0;
    lastTick = null;
    $("watch").classList.remove("held", "ready");
    $("slot-left").replaceChildren(vs[0]);
    $("slot-right").replaceChildren(vs[1]);
    $("prompt-text").textContent = b.prompt.text;
    const img = $("source-image");
    if (b.prompt.image_url) { img.src = b.prompt.image_url; img.hidden = false; } else { img.hidden = true; }
    $("sound").hidden = !b.has_audio;
    for (const side of ["left", "right"]) {
      $(`side-${side}`).classList.remove("winner", "loser");
      $(`reveal-${side}`).replaceChildren();
    }
    document.querySelectorAll("#votes button").forEach((el) => {
      el.disabled = false;
      el.classList.remove("chosen", "uncounted");
      el.removeAttribute("aria-pressed");
    });
    $("after").hidden = true;
    $("reveal-note").hidden = true;
    $("battle").classList.remove("revealed");
    status("");
    applySound();
    showWatch();
    wire(vs);
    prefetch();
  }

  async function errorText(r) {
    try {
      const detail = (await r.json()).detail;
      if (typeof detail === "string") return detail;
    } catch (e) { /* not JSON: a proxy's error page */ }
    return "No battle available.";
  }

  // No battle came: say why, and offer the Next button to try again.
  function failed(text) {
    status(text);
    if (!battle) $("prompt-text").textContent = "";
    $("after").hidden = false;
  }

  async function goNext() {
    if (busy) return;
    busy = true;
    try {
      if (!next && pending) await pending;
      let n = next;
      next = null;
      if (!n) {
        status(battle ? "Loading the next battle…" : "Loading a battle…");
        const r = await fetch(BATTLES, { method: "POST", credentials: "same-origin" });
        if (!r.ok) { failed(await errorText(r)); return; }
        const b = await r.json();
        n = { battle: b, videos: [makeVideo(b.left.url), makeVideo(b.right.url)] };
      }
      unwire(videos);
      show(n.battle, n.videos);
    } catch (e) {
      failed("Network error: no battle was loaded.");
    } finally { busy = false; }
  }

  // --- voting and the reveal ------------------------------------------------------------------
  function span(className, text) {
    const el = document.createElement("span");
    el.className = className;
    el.textContent = text;
    return el;
  }
  // A change that rounds to 0.0 is no gain: shown as ±0.0, in neither colour.
  function change(delta) {
    const shown = Math.abs(delta) < 0.05 ? 0 : delta;
    if (shown === 0) return span("delta same", "±0.0");
    return span(`delta ${shown > 0 ? "up" : "down"}`, `${shown > 0 ? "+" : "−"}${Math.abs(shown).toFixed(1)}`);
  }
  function revealSide(side, info, outcome, counted) {
    const el = $(`reveal-${side}`);
    const name = document.createElement("a");
    name.className = "model-name";
    name.href = `/models/${encodeURIComponent(info.model)}`;
    name.textContent = info.name;
    const org = span("org", info.organization || "");
    const live = span("live", "");
    live.title = "Live Elo after your vote (online Elo, moved by every counted vote); "
      + "the leaderboard's Rating is the official Bradley-Terry fit";
    live.append(span("label", "Live Elo "), span("value", info.rating.toFixed(0)), " (",
      counted ? change(info.rating - info.rating_before) : span("delta same", "vote not counted"), ")");
    el.replaceChildren(name, " ", org, live);
    const won = (side === "left" && outcome === "a") || (side === "right" && outcome === "b");
    const lost = (side === "left" && outcome === "b") || (side === "right" && outcome === "a");
    if (won) $(`side-${side}`).classList.add("winner");
    if (lost) $(`side-${side}`).classList.add("loser");
  }

  function markChosen(outcome, counted) {
    document.querySelectorAll("#votes button").forEach((el) => {
      const chosen = el.dataset.outcome === outcome;
      el.classList.toggle("chosen", chosen);
      el.classList.toggle("uncounted", chosen && !counted);
      if (chosen) el.setAttribute("aria-pressed", "true"); else el.removeAttribute("aria-pressed");
    });
  }

  async function vote(outcome) {
    if (!battle || voted || busy) return;
    accrue();
    if (remainingMs() > 0) { showWatch(true); return; }  // held back: it would not count
    busy = true;
    voted = true;
    document.querySelectorAll("#votes button").forEach((el) => { el.disabled = true; });
    markChosen(outcome, true);
    try {
      const r = await fetch(battle.vote_url, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ outcome, watch_ms: Math.round(watchMs) }),
      });
      const body = await r.json();
      if (!r.ok) {
        markChosen(null, true);
        status(typeof body.detail === "string" ? body.detail : "The vote was not accepted.");
        if (r.status === 410 || r.status === 409 || r.status === 404) $("after").hidden = false;
        else { voted = false; document.querySelectorAll("#votes button").forEach((el) => { el.disabled = false; }); }
        return;
      }
      const counted = body.counted !== false;
      revealSide("left", body.left, outcome, counted);
      revealSide("right", body.right, outcome, counted);
      markChosen(outcome, counted);
      $("battle").classList.add("revealed");
      $("watch").hidden = true;
      status(counted ? "Thanks! Your vote is in." : body.note);
      $("after").hidden = false;
      $("reveal-note").hidden = false;
      $("next").focus();
    } catch (e) {
      voted = false;
      markChosen(null, true);
      document.querySelectorAll("#votes button").forEach((el) => { el.disabled = false; });
      status("Network error: the vote was not sent. Try again.");
    } finally { busy = false; }
  }

  document.querySelectorAll("#votes button").forEach((el) => {
    el.addEventListener("click", () => vote(el.dataset.outcome));
  });
  $("next").addEventListener("click", goNext);
  $("play").addEventListener("click", togglePlay);
  $("sound").addEventListener("click", () => { sound = (sound + 1) % SOUND.length; applySound(); });
  // On audio tracks a tap on a clip plays that side's sound (a tap again: off).
  ["left", "right"].forEach((side) => {
    $(`slot-${side}`).addEventListener("click", () => {
      if (!battle || !battle.has_audio) return;
      sound = SOUND[sound] === side ? 0 : SOUND.indexOf(side);
      applySound();
    });
  });
  $("seek").addEventListener("input", (e) => {
    const t = (e.target.value / 1000) * (videos[0].duration || 0);
    videos.forEach((v) => { v.currentTime = t; });
  });
  document.addEventListener("keydown", (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey || e.target.tagName === "INPUT") return;
    if (KEYS[e.key] && !voted) { e.preventDefault(); vote(KEYS[e.key]); }
    else if ((e.key === "Enter" || e.key === "n") && (voted || !battle)) { e.preventDefault(); goNext(); }
    else if (e.key === " ") { e.preventDefault(); togglePlay(); }
    else if (e.key === "s" && battle && battle.has_audio) { sound = (sound + 1) % SOUND.length; applySound(); }
  });

  applySound();
  goNext();
})();
