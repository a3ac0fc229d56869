// Training speed stops, from slow motion (one epoch a second) to as fast as the server goes.
// Each stop is a pair of server fields: frames per second and epochs trained per frame.

export const SPEEDS = [
  { fps: 1, epochs_per_frame: 1 },
  { fps: 2, epochs_per_frame: 1 },
  { fps: 5, epochs_per_frame: 1 },
  { fps: 10, epochs_per_frame: 1 },
  { fps: 20, epochs_per_frame: 1 },
  { fps: 30, epochs_per_frame: 1 },
  { fps: 30, epochs_per_frame: 2 },
  { fps: 30, epochs_per_frame: 5 },
  { fps: 30, epochs_per_frame: 20 },
  { fps: 30, epochs_per_frame: 100 },
  { fps: 30, epochs_per_frame: 1000 },
];

/** The stop closest to the config's speed (by epochs per second, then fps). */
export function speedIndex(config) {
  const rate = (s) => Math.log(s.fps * s.epochs_per_frame);
  const target = { fps: config.fps ?? 30, epochs_per_frame: config.epochs_per_frame ?? 1 };
  let best = 0;
  SPEEDS.forEach((s, i) => {
    const d = Math.abs(rate(s) - rate(target)) + Math.abs(s.fps - target.fps) * 1e-3;
    const b = Math.abs(rate(SPEEDS[best]) - rate(target)) + Math.abs(SPEEDS[best].fps - target.fps) * 1e-3;
    if (d < b) best = i;
  });
  return best;
}

export function speedText(config) {
  const fps = config.fps ?? 30;
  const epf = config.epochs_per_frame ?? 1;
  if (epf === 1) return fps === 1 ? "1 epoch / s" : `${fps} epochs / s`;
  return epf >= 1000 ? "as fast as possible" : `${fps * epf} epochs / s`;
}
