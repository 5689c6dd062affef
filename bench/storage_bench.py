"""Storage benchmarks: streamed uploads through the API, and publishing a generation to S3.

1. A 2 GiB PUT /content/{id}/source through a real uvicorn (embedded setup: SQLite, local disk)
   vs `cp` of the same number of bytes to the same disk (goal: >= 0.8x), and the API's peak RSS
   during the upload (VmHWM from /proc).
2. Publishing a 60-minute video's outputs (a 1080/720/480/360 + audio ladder in 6 s segments:
   3,000 files) to S3 on a moto server with our `put_many` vs boto3's TransferManager uploading
   the same files in parallel (goal: >= 1.0x).

Knobs (environment): STORAGE_BENCH_UPLOAD_GIB (default 2), STORAGE_BENCH_BITRATE_SCALE
(default 0.1: segment sizes at a tenth of real bitrates so moto holds them; the file count,
which is what parallelism is about, is real). Not a test: figures depend on the machine.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MiB = 1024 * 1024
ROOT = Path(__file__).resolve().parent.parent
# kbit/s of each rendition of the ladder (video rungs include their share of muxing overhead).
LADDER_KBPS = {"1080p": 5000, "720p": 2800, "480p": 1400, "360p": 800, "audio": 128}
SEGMENT_S = 6
MINUTES = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _memory_mib(pid: int) -> dict[str, float]:
    figures = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            figures[name] = int(value.split()[0]) / 1024
    return figures


def _reset_peak(pid: int) -> None:
    """Start VmHWM afresh (Linux >= 4.0): the peak then is the upload's, not the start-up's."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def _embedded_env(data_dir: Path, port: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("S3_", "CLOUDFRONT_", "STORAGE_", "DATABASE_"))
    }
    env.update(
        {
            "ENV": "development",
            "DATA_DIR": str(data_dir),
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "BROKER_NAMESPACE": f"cnt-bench-{secrets.token_hex(4)}",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def _prepare(env: dict[str, str]) -> None:
    """Migrate the bench's SQLite database and make a creator, in a child with the bench env."""
    script = (
        "from models.migrate import upgrade; from settings import get_settings;"
        "upgrade(get_settings().sync_database_url);"
        "from cli.users import _save_user;"
        "_save_user('bench@church.test', 'a-good-long-password', 'creator')"
    )
    subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, check=True, capture_output=True
    )


def _start_api(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    import httpx

    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the API did not start")


def _forget_messages(env: dict[str, str]) -> None:
    """The uploads queued `advance` messages no worker of the bench consumes: drop them."""
    import redis

    client = redis.Redis.from_url(env.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    try:
        for key in client.scan_iter(match=f"{env['BROKER_NAMESPACE']}*", count=1000):
            client.delete(key)
    except redis.RedisError:
        pass
    finally:
        client.close()


def _write_file(path: Path, total: int, block: bytes) -> None:
    with open(path, "wb") as handle:
        for _ in range(total // len(block)):
            handle.write(block)


def bench_streamed_upload(work: Path, gib: float) -> None:
    import httpx

    total = int(gib * 1024) * MiB
    block = os.urandom(MiB)
    port = _free_port()
    env = _embedded_env(work / "var", port)
    _prepare(env)
    process = _start_api(env, port)
    try:
        base = f"http://127.0.0.1:{port}"
        token = httpx.post(
            f"{base}/api/v1/auth/login",
            json={"email": "bench@church.test", "password": "a-good-long-password"},
        ).json()["access_token"]
        with httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=600
        ) as http:
            warm = http.post("/api/v1/content", json={"title": "warm-up"}).json()["id"]
            http.put(f"/api/v1/content/{warm}/source", content=block)
            content_id = http.post("/api/v1/content", json={"title": "bench"}).json()["id"]
            _reset_peak(process.pid)
            baseline = _memory_mib(process.pid)
            os.sync()  # both runs start with no dirty pages waiting to be written back
            started = time.monotonic()
            response = http.put(
                f"/api/v1/content/{content_id}/source",
                content=(block for _ in range(total // MiB)),
                headers={"Content-Length": str(total)},
            )
            api_s = time.monotonic() - started
            peak = _memory_mib(process.pid)
        if response.status_code != 202:
            raise SystemExit(f"upload failed: {response.status_code} {response.text}")
    finally:
        process.terminate()
        process.wait(timeout=10)
        _forget_messages(env)
    source = work / "cp-source.bin"
    _write_file(source, total, block)
    target = work / "var" / "storage" / "cp-target.bin"
    os.sync()
    started = time.monotonic()
    subprocess.run(["cp", str(source), str(target)], check=True)
    cp_s = time.monotonic() - started
    mib = total / MiB
    print(
        f"streamed upload of {mib / 1024:.1f} GiB through the API: {api_s:.1f} s "
        f"({mib / api_s:.0f} MiB/s)"
    )
    print(f"cp of the same bytes to the same disk:      {cp_s:.1f} s ({mib / cp_s:.0f} MiB/s)")
    print(f"API throughput / cp throughput: {cp_s / api_s:.2f}x (goal >= 0.8x)")
    print(
        f"API RSS: {baseline['VmRSS']:.0f} MiB before, peak {peak['VmHWM']:.0f} MiB during "
        f"the upload (+{peak['VmHWM'] - baseline['VmRSS']:.0f} MiB)"
    )


def _video_outputs(root: Path, scale: float) -> list[tuple[str, Path]]:
    """A 60-minute ladder's segments, init sections and playlists (random bytes, real count)."""
    segments = MINUTES * 60 // SEGMENT_S
    noise = os.urandom(8 * MiB)
    files: list[tuple[str, Path]] = []
    offset = 0
    for rendition, kbps in LADDER_KBPS.items():
        folder = root / "hls" / rendition
        folder.mkdir(parents=True, exist_ok=True)
        size = max(1024, int(kbps * 1000 / 8 * SEGMENT_S * scale))
        (folder / "init.mp4").write_bytes(noise[:1200])
        files.append((f"hls/{rendition}/init.mp4", folder / "init.mp4"))
        lines = ["#EXTM3U", "#EXT-X-VERSION:7", f"#EXT-X-TARGETDURATION:{SEGMENT_S}"]
        for n in range(1, segments + 1):
            name = f"seg_{n:05d}.m4s"
            offset = (offset + 7919) % (len(noise) - size)
            (folder / name).write_bytes(noise[offset : offset + size])
            files.append((f"hls/{rendition}/{name}", folder / name))
            lines += [f"#EXTINF:{SEGMENT_S}.0,", name]
        (folder / "index.m3u8").write_text("\n".join([*lines, "#EXT-X-ENDLIST", ""]))
        files.append((f"hls/{rendition}/index.m3u8", folder / "index.m3u8"))
    return files


def _start_moto(port: int) -> subprocess.Popen[bytes]:
    """moto in its own process, as S3 is: the uploaders' threads do not share its GIL."""
    import httpx

    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/moto-api/", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("moto did not start")


def bench_publish(work: Path, scale: float, rounds: int = 2) -> None:
    import boto3
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config
    from s3transfer.manager import TransferManager

    sys.path.insert(0, str(ROOT))
    from pipelines.storage import put_many
    from pipelines.storage.s3 import S3Storage
    from settings import load_settings

    port = _free_port()
    server = _start_moto(port)
    ours: list[float] = []
    theirs: list[float] = []
    try:
        endpoint = f"http://127.0.0.1:{port}"
        settings = load_settings(
            env_file=None,
            storage_backend="s3",
            s3_endpoint_url=endpoint,
            s3_bucket="cnt-bench-ours",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
            data_dir=str(work / "var"),
        )
        files = _video_outputs(work / "outputs", scale)
        total = sum(path.stat().st_size for _, path in files)
        storage = S3Storage(settings)
        storage.client.create_bucket(Bucket="cnt-bench-ours")
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
            config=Config(max_pool_connections=32, s3={"addressing_style": "path"}),
        )
        client.create_bucket(Bucket="cnt-bench-boto")
        config = TransferConfig(max_concurrency=16, use_threads=True)
        for round_ in range(rounds):  # alternating, best of each: moto's pace drifts
            started = time.monotonic()
            put_many(storage.scoped(f"media/bench/g{round_}"), files, concurrency=16)
            ours.append(time.monotonic() - started)
            started = time.monotonic()
            with TransferManager(client, config) as manager:
                futures = [
                    manager.upload(str(path), "cnt-bench-boto", f"media/bench/g{round_}/{key}")
                    for key, path in files
                ]
                for future in futures:
                    future.result()
            theirs.append(time.monotonic() - started)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(
        f"publish of a {MINUTES}-minute video's outputs: {len(files)} files, "
        f"{total / MiB:.0f} MiB (bitrates x{scale}) to S3 (moto, own process), best of {rounds}"
    )
    print(f"  ours (put_many, 16 threads):        {min(ours):.1f} s  {_runs(ours)}")
    print(f"  boto3 TransferManager (16 threads): {min(theirs):.1f} s  {_runs(theirs)}")
    print(f"  speed vs TransferManager: {min(theirs) / min(ours):.2f}x (goal >= 1.0x)")


def _runs(seconds: list[float]) -> str:
    return "(" + ", ".join(f"{s:.1f}" for s in seconds) + ")"


def main() -> None:
    gib = float(os.environ.get("STORAGE_BENCH_UPLOAD_GIB", "2"))
    scale = float(os.environ.get("STORAGE_BENCH_BITRATE_SCALE", "0.1"))
    work = Path(tempfile.mkdtemp(prefix="cnt-storage-bench-"))
    try:
        bench_streamed_upload(work, gib)
        bench_publish(work, scale)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
