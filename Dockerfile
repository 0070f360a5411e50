FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    RECTRACK_DATA_DIR=/var/lib/rectrack \
    RECTRACK_IMPORT_DIR=/var/lib/rectrack/imports
WORKDIR /srv/rectrack

COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY seeds ./seeds
# Editable, so that migrations/ and seeds/ are found beside the code. The code stays root's and
# read-only to the service; what the service writes (a generated signing key, uploads waiting
# for their import, the attachments to come) lives in /var/lib/rectrack, a volume.
RUN pip install --no-cache-dir -e . \
    && useradd --system --no-create-home --home-dir /var/lib/rectrack rectrack \
    && install -d -o rectrack -g rectrack -m 0750 /var/lib/rectrack /var/lib/rectrack/imports
VOLUME /var/lib/rectrack
USER rectrack

EXPOSE 8000
# Which reverse proxy's X-Forwarded-For to believe is the deployment's to say: set
# RECTRACK_FORWARDED_ALLOW_IPS to the proxy's address (docs/security.md). Nothing is trusted
# by default but the container itself.
ENV RECTRACK_FORWARDED_ALLOW_IPS=127.0.0.1
CMD ["sh", "-c", "rectrack db upgrade && rectrack seed && rectrack serve --host 0.0.0.0 --port 8000"]
