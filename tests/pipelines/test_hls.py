"""The master playlist as players read it: attributes, groups, subtitles."""

from __future__ import annotations

from pipelines.media.hls import build_master, finalise_playlist

VIDEO = {
    "name": "720p", "uri": "720p/index.m3u8", "bandwidth": 3_000_000,
    "average_bandwidth": 2_500_000, "codecs": "avc1.64001f,mp4a.40.2",
    "resolution": "1280x720", "frame_rate": 29.97, "audio_group": "audio",
}  # fmt: skip
AUDIO = {
    "name": "audio", "uri": "audio/index.m3u8", "bandwidth": 130_000,
    "average_bandwidth": 128_000, "codecs": "mp4a.40.2", "audio_only": True,
    "group_id": "audio", "channels": 2,
}  # fmt: skip


def test_video_variant_carries_every_attribute_and_its_audio_group():
    master = build_master([AUDIO, VIDEO])
    lines = master.splitlines()
    assert lines[0] == "#EXTM3U"
    inf = next(line for line in lines if "RESOLUTION" in line)
    assert inf == (
        "#EXT-X-STREAM-INF:BANDWIDTH=3000000,AVERAGE-BANDWIDTH=2500000,"
        'CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720,FRAME-RATE=29.970,AUDIO="audio"'
    )
    assert lines[lines.index(inf) + 1] == "720p/index.m3u8"
    media = next(line for line in lines if line.startswith("#EXT-X-MEDIA:TYPE=AUDIO"))
    assert 'URI="audio/index.m3u8"' in media and 'CHANNELS="2"' in media
    # Video variants come first: players start with the first listed.
    assert master.index("720p/index.m3u8") < master.rindex("audio/index.m3u8")


def test_subtitles_group_is_added_to_every_variant():
    subs = [{"uri": "captions/en.m3u8", "language": "en", "name": "English"}]
    master = build_master([VIDEO, AUDIO], subs)
    assert (
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",'
        'DEFAULT=YES,AUTOSELECT=YES,URI="captions/en.m3u8"' in master
    )
    infs = [line for line in master.splitlines() if line.startswith("#EXT-X-STREAM-INF")]
    assert all('SUBTITLES="subs"' in line for line in infs)


def test_an_event_playlist_becomes_vod_with_endlist():
    event = "#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXT-X-PLAYLIST-TYPE:EVENT\n#EXTINF:6.0,\ns1.m4s\n"
    vod = finalise_playlist(event)
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in vod and vod.endswith("#EXT-X-ENDLIST\n")
    assert finalise_playlist(vod) == vod


def test_a_phone_starts_on_the_variant_near_its_bandwidth_the_rest_largest_first():
    rungs = [("1080p", 6_200_000), ("720p", 3_300_000), ("480p", 1_600_000), ("360p", 900_000)]
    videos = [
        {**VIDEO, "name": name, "uri": f"{name}/index.m3u8", "bandwidth": bandwidth}
        for name, bandwidth in rungs
    ]
    master = build_master([AUDIO, *videos])
    listed = [line for line in master.splitlines() if line.endswith("p/index.m3u8")]
    # AVPlayer starts with the first listed: about what a phone on a cellular network sustains.
    assert listed == [
        "480p/index.m3u8",
        "1080p/index.m3u8",
        "720p/index.m3u8",
        "360p/index.m3u8",
    ]
