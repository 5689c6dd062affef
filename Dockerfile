# One image for the API, the workers, the clock and migrations: the Procfile picks the process.

# The pages' players (hls.js, wavesurfer.js, livekit-client) from the lockfile; the test and
# bench packages (devDependencies) stay out of the image.
FROM node:20-bookworm-slim AS web
WORKDIR /web
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM python:3.11-slim-bookworm

# postgresql-client: pg_dump/pg_restore for `cnt backup`/`cnt restore` (bookworm's 15 matches
# the stack's postgres:15; an older pg_dump refuses a newer server).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg espeak-ng postgresql-client \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY api ./api
COPY cli ./cli
COPY workers ./workers
COPY pipelines ./pipelines
COPY models ./models
COPY agent ./agent
COPY settings ./settings
COPY Procfile ./
COPY --from=web /web/node_modules ./node_modules
# Installed in place (-e): the app serves the players from /app/node_modules, beside its code.
RUN pip install --no-cache-dir -c constraints.txt -e . \
 && useradd --system --home /app cnt && mkdir -p /app/var && chown cnt /app/var
# ffmpeg runs on hostile uploads: never as root.
USER cnt
ENV DATA_DIR=/app/var HOST=0.0.0.0 PORT=8000
EXPOSE 8000
# For the API (the default command); docker-compose.yml gives each other process its own check.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=6 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["uvicorn", "api.asgi:app", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers", "--ws-per-message-deflate", "false"]
