# PrintMaster server image, made from the official linux server archive the build writes
# (docs/admin-guide.md, "Installing the server as a service", Docker):
#   ./pm build          (or: mvn -B -DskipTests package)
#   docker build -t printmaster/server:0.1.0-SNAPSHOT --build-arg PM_VERSION=0.1.0-SNAPSHOT .
#   docker run -d --name printmaster -p 8080:8080 -v printmaster-data:/var/lib/printmaster printmaster/server:0.1.0-SNAPSHOT
# With PostgreSQL: docker-compose.yml beside this file. The image runs as the unprivileged user printmaster (10001),
# keeps everything it writes in the volume /var/lib/printmaster (data/ and data.keys/, the master key), and updates by
# a new image: self-update is off in containers (PM_DISABLE_SELFUPDATE=1).
ARG JAVA_IMAGE=eclipse-temurin:17-jre
FROM ${JAVA_IMAGE}

ARG PM_VERSION=0.1.0-SNAPSHOT
# the archives are the same for every CPU (no bundled Java): linux-amd64 unless the builder says otherwise
ARG TARGETARCH=amd64
# a local tar.gz is unpacked by ADD: /opt/printmaster-server-<version>/ (bin/ lib/ bundle/ conf/ service/ VERSION)
ADD platform-server/distribution/target/releases/printmaster-server-v${PM_VERSION}-linux-${TARGETARCH}.tar.gz /opt/

RUN set -eu; \
    mv "/opt/printmaster-server-${PM_VERSION}" /opt/printmaster-server; \
    groupadd --system --gid 10001 printmaster; \
    useradd --system --uid 10001 --gid printmaster --home-dir /var/lib/printmaster --shell /usr/sbin/nologin printmaster; \
    install -d -o printmaster -g printmaster -m 0700 /var/lib/printmaster /var/lib/printmaster/data

ENV PM_DATA_DIR=/var/lib/printmaster/data \
    PM_BIND=0.0.0.0 \
    PM_PORT=8080 \
    PM_DISABLE_SELFUPDATE=1

USER 10001:10001
WORKDIR /var/lib/printmaster
VOLUME ["/var/lib/printmaster"]
EXPOSE 8080

# GET /api/v1/health on 127.0.0.1:$PM_PORT (https with PM_TLS/PM_TLS_CERT) with the JDK's own HTTP client: no curl
HEALTHCHECK --interval=30s --timeout=10s --start-period=120s --retries=3 \
    CMD ["java", "-Xmx16m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", "/opt/printmaster-server/lib/*", "io.printmaster.server.launcher.HealthProbe"]

# umask 077: what the server writes is its own only; exec: the JVM is PID 1 and gets docker stop's SIGTERM (clean
# shutdown). An exit with 75 (a requested restart) is restarted by the container's restart policy.
ENTRYPOINT ["/bin/sh", "-c", "umask 077 && exec /opt/printmaster-server/bin/pm-server \"$@\"", "pm-server"]
CMD []
