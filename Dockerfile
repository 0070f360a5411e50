FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    RECTRACK_IMPORT_DIR=/var/lib/rectrack/imports
WORKDIR /srv/rectrack

COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY seeds ./seeds
# Editable, so that migrations/ and seeds/ are found beside the code. The code stays root's and
# read-only to the service; what the service writes (uploads waiting for their import, and the
# attachments to come) lives in /var/lib/rectrack, a volume.
RUN pip install --no-cache-dir -e . \
    && useradd --system --no-create-home --home-dir /var/lib/rectrack rectrack \
    && install -d -o rectrack -g rectrack -m 0750 /var/lib/rectrack /var/lib/rectrack/imports
VOLUME /var/lib/rectrack
USER rectrack

EXPOSE 8000
CMD ["sh", "-c", "rectrack db upgrade && rectrack seed && rectrack serve --host 0.0.0.0 --port 8000"]
