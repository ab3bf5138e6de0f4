"""Video files: encoding numpy frames to MP4, probing clips, rendering the demo's clips."""
