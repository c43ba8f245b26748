# One image for every eJia service; the compose file picks the module to run:
#   nameko run --config config/nameko.yaml services.<name>.service
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml ./
COPY shared ./shared
COPY services ./services
COPY config ./config
# nameko 2.14's CLI imports pkg_resources (shipped by setuptools < 81).
RUN pip install "setuptools<81" && pip install .

EXPOSE 8000
CMD ["nameko", "run", "--config", "config/nameko.yaml", "services.gateway.service"]
