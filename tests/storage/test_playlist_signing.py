"""Playlists rewritten for a private bucket: media URIs signed, playlist URIs left relative, and
nothing outside the content's folder ever signed."""

from __future__ import annotations

import pytest

from pipelines.media.hls import Variant, build_master, playlist_init, playlist_segments
from pipelines.storage.errors import PlaylistEscapesPrefix
from pipelines.storage.playlist_signing import is_playlist, sign_playlist

PREFIX = "media/c1/"


def signer(key: str) -> str:
    return f"https://s3.test/bucket/{key}?X-Amz-Signature=sig"


def test_a_master_keeps_every_playlist_uri_relative() -> None:
    master = build_master(
        [
            Variant(name="720p", uri="720p/index.m3u8", bandwidth=2_000_000,
                    average_bandwidth=1_800_000, codecs="avc1.64001f,mp4a.40.2",
                    resolution="1280x720", audio_group="audio"),
            Variant(name="English", uri="audio_en/index.m3u8", bandwidth=130_000,
                    average_bandwidth=128_000, codecs="mp4a.40.2", group_id="audio",
                    language="en", default=True),
            Variant(name="720p", uri="720p/iframes.m3u8", bandwidth=200_000,
                    average_bandwidth=100_000, codecs="avc1.64001f", resolution="1280x720",
                    iframes_only=True),
        ]
    )  # fmt: skip
    signed = sign_playlist(master, "media/c1/g1/hls/master.m3u8", PREFIX, signer)
    assert signed == master
    assert 'URI="audio_en/index.m3u8"' in signed and 'URI="720p/iframes.m3u8"' in signed


def test_segments_and_the_init_section_are_signed_by_their_full_key() -> None:
    variant = (
        "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:6\n"
        '#EXT-X-MAP:URI="init.mp4"\n'
        "#EXTINF:6.000000,\nseg_00000.m4s\n#EXTINF:2.5,\nseg_00001.m4s\n#EXT-X-ENDLIST\n"
    )
    signed = sign_playlist(variant, "media/c1/g1/hls/720p/index.m3u8", PREFIX, signer)
    assert playlist_init(signed) == signer("media/c1/g1/hls/720p/init.mp4")
    assert playlist_segments(signed) == [
        (signer("media/c1/g1/hls/720p/seg_00000.m4s"), 6.0),
        (signer("media/c1/g1/hls/720p/seg_00001.m4s"), 2.5),
    ]
    # Everything else is as it was, line for line.
    assert [line for line in signed.splitlines() if "s3.test" not in line] == [
        line for line in variant.splitlines() if not line.startswith("seg_") and "MAP" not in line
    ]


def test_byte_ranges_of_one_segment_sign_it_once() -> None:
    iframes = (
        "#EXTM3U\n#EXT-X-I-FRAMES-ONLY\n"
        '#EXT-X-MAP:URI="init.mp4"\n'
        "#EXTINF:6.0,\n#EXT-X-BYTERANGE:1000@0\nseg_00000.m4s\n"
        "#EXTINF:6.0,\n#EXT-X-BYTERANGE:900@1000\nseg_00000.m4s\n"
    )
    calls: list[str] = []

    def counting(key: str) -> str:
        calls.append(key)
        return signer(key)

    signed = sign_playlist(iframes, "media/c1/g1/hls/720p/iframes.m3u8", PREFIX, counting)
    assert calls == ["media/c1/g1/hls/720p/init.mp4", "media/c1/g1/hls/720p/seg_00000.m4s"]
    assert signed.count(signer("media/c1/g1/hls/720p/seg_00000.m4s")) == 2
    assert "#EXT-X-BYTERANGE:900@1000" in signed


def test_keys_and_other_uri_attributes_are_signed_and_crlf_is_kept() -> None:
    text = (
        "#EXTM3U\r\n"
        '#EXT-X-KEY:METHOD=AES-128,URI="../keys/k1.bin",IV=0x1\r\n'
        '#EXT-X-SESSION-DATA:DATA-ID="com.church.chapters",URI="chapters.json"\r\n'
        "#EXTINF:6,\r\nseg%2000.m4s\r\n"
    )
    signed = sign_playlist(text, "media/c1/g1/hls/a/index.m3u8", PREFIX, signer)
    assert f'URI="{signer("media/c1/g1/hls/keys/k1.bin")}",IV=0x1\r\n' in signed
    assert f'URI="{signer("media/c1/g1/hls/a/chapters.json")}"' in signed
    assert signed.endswith(signer("media/c1/g1/hls/a/seg 00.m4s") + "\r\n")


def test_absolute_urls_and_comments_are_left_alone() -> None:
    text = '#EXTM3U\n# a note URI="x.m4s"\n#EXTINF:6,\nhttps://elsewhere.test/seg.m4s\n'
    assert sign_playlist(text, "media/c1/g1/hls/index.m3u8", PREFIX, signer) == text


@pytest.mark.parametrize(
    "uri",
    [
        "../../../c2/g1/hls/seg_00000.m4s",  # another content's segment
        "../../../../sources/c1/original.mp4",  # a source
        "../../..",  # the content's folder itself
    ],
)
def test_a_uri_outside_the_content_is_never_signed(uri: str) -> None:
    calls: list[str] = []

    def counting(key: str) -> str:
        calls.append(key)
        return signer(key)

    with pytest.raises(PlaylistEscapesPrefix):
        sign_playlist(
            f"#EXTM3U\n#EXTINF:6,\n{uri}\n", "media/c1/g1/hls/index.m3u8", PREFIX, counting
        )
    assert calls == []


def test_a_root_relative_uri_is_not_signed() -> None:
    text = "#EXTM3U\n#EXTINF:6,\n/media/c1/g1/hls/../../../../sources/x\n"
    assert sign_playlist(text, "media/c1/g1/hls/index.m3u8", PREFIX, signer) == text


def test_a_nested_playlist_outside_the_content_is_refused_too() -> None:
    text = '#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="x",URI="../../../c2/a.m3u8"\n'
    with pytest.raises(PlaylistEscapesPrefix):
        sign_playlist(text, "media/c1/g1/hls/master.m3u8", PREFIX, signer)


def test_playlists_are_known_by_their_suffix() -> None:
    assert is_playlist("media/c1/g1/hls/master.m3u8") and is_playlist("a/INDEX.M3U8?x=1")
    assert not is_playlist("media/c1/g1/hls/720p/seg_00001.m4s")
    assert not is_playlist("media/c1/g1/captions/en.vtt")
