FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /srv/rectrack

COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY seeds ./seeds
# Editable, so that migrations/ and seeds/ are found beside the code.
RUN pip install --no-cache-dir -e . \
    && useradd --system --home-dir /srv/rectrack rectrack
USER rectrack

EXPOSE 8000
# Which reverse proxy's X-Forwarded-For to believe is the deployment's to say: set
# RECTRACK_FORWARDED_ALLOW_IPS to the proxy's address (docs/security.md). Nothing is trusted
# by default but the container itself.
ENV RECTRACK_FORWARDED_ALLOW_IPS=127.0.0.1
CMD ["sh", "-c", "rectrack db upgrade && rectrack seed && rectrack serve --host 0.0.0.0 --port 8000"]
