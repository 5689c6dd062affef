"""Tool results as short sentences the model can say nearly as they are.

Dates and times are written the way people say them ("Sunday, March 2, 2025 at 10:30 AM"), in
the church's time zone; sermon ids stay in brackets so the model can ask for details or send a
link, and the instructions tell it never to read them out.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from agent.library import SermonDetails, SermonHit, Service

NOTHING_FOUND = "No sermon in the library matches that."
NO_SUCH_SERMON = "There is no sermon with that id in the public library."
NO_SERVICES = "No upcoming services are on the schedule."


def spoken_date(day: date) -> str:
    return f"{day:%A}, {day:%B} {day.day}, {day.year}"


def spoken_time(moment: datetime, zone: tzinfo) -> str:
    local = moment.astimezone(zone)
    hour = local.hour % 12 or 12
    minutes = f":{local.minute:02d}" if local.minute else ""
    return f"{local:%A}, {local:%B} {local.day} at {hour}{minutes} {local:%p}"


def spoken_duration(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    hours, minutes = divmod(minutes, 60)
    parts = [f"{hours} hour{'s' * (hours != 1)}"] if hours else []
    if minutes:
        parts.append(f"{minutes} minute{'s' * (minutes != 1)}")
    return " ".join(parts)


def _about(scripture: list[str], series: str | None) -> str:
    said = f", on {', '.join(scripture)}" if scripture else ""
    return said + (f", in the series {series}" if series else "")


def _at(start: float | None) -> str:
    if start is None:
        return ""
    return " near the start" if start < 60 else f" about {spoken_duration(start)} in"


def spoken_hits(hits: list[SermonHit]) -> str:
    if not hits:
        return NOTHING_FOUND
    lines = [f"Found {len(hits)} sermon{'s' * (len(hits) != 1)}:"]
    for hit in hits:
        line = (
            f'- "{hit.title}" by {hit.speaker or "an unnamed speaker"}, '
            f"{spoken_date(hit.preached_on)}{_about(hit.scripture, hit.series)} [id {hit.id}]"
        )
        if hit.passage is not None:
            line += f'. It says{_at(hit.passage.start)}: "{hit.passage.text.strip()}"'
        lines.append(line)
    return "\n".join(lines)


def spoken_details(details: SermonDetails | None) -> str:
    if details is None:
        return NO_SUCH_SERMON
    text = (
        f'"{details.title}" by {details.speaker or "an unnamed speaker"}, preached '
        f"{spoken_date(details.preached_on)}{_about(details.scripture, details.series)}"
    )
    if details.duration:
        text += f"; {spoken_duration(details.duration)} long"
    if details.link:
        return f"{text}. Playback link (offer to send it to the chat): {details.link}"
    return f"{text}. It has no playback link yet."


def spoken_services(services: list[Service], zone: tzinfo) -> str:
    if not services:
        return NO_SERVICES
    lines = []
    for service in services:
        series = f" ({service.series})" if service.series else ""
        if service.live_now:
            lines.append(f"- {service.title}{series} is live right now")
        elif service.starts_at is not None:
            lines.append(f"- {service.title}{series}: {spoken_time(service.starts_at, zone)}")
    return "\n".join(lines)


def chat_message(details: SermonDetails) -> str:
    """What the room's chat shows: the title, who preached it, and the link."""
    preached = spoken_date(details.preached_on)
    return f"{details.title} ({details.speaker}, {preached}): {details.link}"
