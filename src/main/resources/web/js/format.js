// Human-friendly times and durations.

const DAY = 86_400_000;

function startOfDay(ts) {
  const d = new Date(ts);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

export function clock(ts) {
  return new Date(ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** "Today", "Yesterday", "Monday", or a date: the label of a day separator. */
export function dayLabel(ts, now = Date.now()) {
  const days = Math.round((startOfDay(now) - startOfDay(ts)) / DAY);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  if (days > 1 && days < 7) return new Date(ts).toLocaleDateString([], { weekday: 'long' });
  return new Date(ts).toLocaleDateString([], { day: 'numeric', month: 'long', year: 'numeric' });
}

export function sameDay(a, b) {
  return startOfDay(a) === startOfDay(b);
}

/** The time shown in the chat list: a clock today, "Yesterday", a weekday, or a short date. */
export function listTime(ts, now = Date.now()) {
  const days = Math.round((startOfDay(now) - startOfDay(ts)) / DAY);
  if (days === 0) return clock(ts);
  if (days === 1) return 'Yesterday';
  if (days < 7) return new Date(ts).toLocaleDateString([], { weekday: 'short' });
  return new Date(ts).toLocaleDateString([], { day: '2-digit', month: '2-digit', year: '2-digit' });
}

export function lastSeenText(ts, now = Date.now()) {
  if (!ts) return 'offline';
  if (now - ts < 60_000) return 'last seen just now';
  const days = Math.round((startOfDay(now) - startOfDay(ts)) / DAY);
  if (days === 0) return `last seen today at ${clock(ts)}`;
  if (days === 1) return `last seen yesterday at ${clock(ts)}`;
  return `last seen ${new Date(ts).toLocaleDateString([], { day: 'numeric', month: 'short' })} at ${clock(ts)}`;
}

/** Compact remaining time: "45s", "4m 12s", "3h 5m", "6d 2h". */
export function remaining(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const hrs = Math.floor(m / 60);
  if (hrs < 24) return `${hrs}h ${m % 60}m`;
  return `${Math.floor(hrs / 24)}d ${hrs % 24}h`;
}

export const DISAPPEAR_CHOICES = [
  [0, 'Off'],
  [30, '30 seconds'],
  [300, '5 minutes'],
  [3600, '1 hour'],
  [86_400, '24 hours'],
  [604_800, '7 days'],
];

export function disappearLabel(seconds) {
  const known = DISAPPEAR_CHOICES.find(([s]) => s === seconds);
  if (known) return known[1];
  return remaining(seconds * 1000);
}

export function fileSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
