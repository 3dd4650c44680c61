# Image for web, worker and scheduler (see docker-compose.yml).
FROM python:3.11-slim

# Production unless told otherwise: the image refuses to start without its own secret and CPR
# keys, real mail and an https:// address (matching/core/settings.py).
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false JOBBRO_ENV=production

# Node builds the design-system assets; DejaVu Sans lets the PDF exports print Central
# European letters (without it ReportLab's bundled Vera is used).
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# CPU-only torch first: a plain resolve would pull a multi-GB CUDA build.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
COPY pyproject.toml README.md ./
COPY matching matching
COPY portal portal
COPY workers workers
COPY embeddings embeddings
# Design-system assets are built into portal/static before the package is installed.
RUN bash portal/assets/build.sh && pip install .

RUN useradd --create-home jobbro && mkdir -p /data && chown jobbro /data
USER jobbro
EXPOSE 8000
CMD ["gunicorn", "--config", "python:portal.gunicorn_conf", "--bind", "0.0.0.0:8000", "portal.wsgi:app"]
