// The battle page: two clips in sync, four votes (buttons or keys), the reveal, and the next
// battle, fetched and buffered while the voter watches this one. The page itself is a shell
// (a GET writes nothing): every battle, the first one too, is asked for with a POST.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const track = $("battle").dataset.track;
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
  function onTime() {
    const [lead, follow] = videos;
    const now = performance.now();
    if (!lead.paused && lastTick !== null) watchMs += now - lastTick;
    lastTick = lead.paused ? null : now;
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
    document.querySelectorAll("#votes button").forEach((el) => { el.disabled = false; });
    $("after").hidden = true;
    status("");
    applySound();
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
  function revealSide(side, info, outcome) {
    const el = $(`reveal-${side}`);
    const delta = info.rating - info.rating_before;
    const name = document.createElement("span");
    name.className = "model-name";
    name.textContent = info.name;
    const org = document.createElement("span");
    org.className = "org";
    org.textContent = info.organization ? ` · ${info.organization}` : "";
    const d = document.createElement("span");
    d.className = `delta ${delta >= 0 ? "up" : "down"}`;
    d.textContent = ` ${info.rating.toFixed(0)} (${delta >= 0 ? "+" : ""}${delta.toFixed(1)})`;
    el.replaceChildren(name, org, d);
    const won = (side === "left" && outcome === "a") || (side === "right" && outcome === "b");
    const lost = (side === "left" && outcome === "b") || (side === "right" && outcome === "a");
    if (won) $(`side-${side}`).classList.add("winner");
    if (lost) $(`side-${side}`).classList.add("loser");
  }

  async function vote(outcome) {
    if (!battle || voted || busy) return;
    busy = true;
    voted = true;
    document.querySelectorAll("#votes button").forEach((el) => { el.disabled = true; });
    try {
      const r = await fetch(battle.vote_url, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ outcome, watch_ms: Math.round(watchMs) }),
      });
      const body = await r.json();
      if (!r.ok) {
        status(typeof body.detail === "string" ? body.detail : "The vote was not accepted.");
        if (r.status === 410 || r.status === 409 || r.status === 404) $("after").hidden = false;
        else { voted = false; document.querySelectorAll("#votes button").forEach((el) => { el.disabled = false; }); }
        return;
      }
      revealSide("left", body.left, outcome);
      revealSide("right", body.right, outcome);
      status(body.counted === false ? body.note : "Thanks! Your vote is in.");
      $("after").hidden = false;
      $("next").focus();
    } catch (e) {
      voted = false;
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
