// A countdown to the next service, in the listener's own time zone.
for (const el of document.querySelectorAll("time[data-countdown]")) {
  const when = new Date(el.getAttribute("datetime"));
  const local = when.toLocaleString(undefined, { weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit" });
  const tick = () => {
    const left = Math.max(0, Math.floor((when - Date.now()) / 1000));
    const d = Math.floor(left / 86400), h = Math.floor((left % 86400) / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    const parts = d ? `${d} d ${h} h ${m} min` : `${h} h ${m} min ${s} s`;
    el.textContent = left ? `${local} (in ${parts})` : `${local} (starting now)`;
  };
  tick();
  setInterval(tick, 1000);
}
