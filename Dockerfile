# Chronik broker image: build with the Maven wrapper, run on a JRE as a non-root user.
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY mvnw pom.xml ./
COPY .mvn .mvn
RUN ./mvnw -B -q dependency:go-offline
COPY src src
RUN ./mvnw -B -q -DskipTests package

FROM eclipse-temurin:17-jre
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/chronik --shell /usr/sbin/nologin chronik \
    && mkdir -p /var/lib/chronik /opt/chronik && chown chronik:chronik /var/lib/chronik
COPY --from=build /src/target/chronik.jar /opt/chronik/chronik.jar
USER 10001
WORKDIR /var/lib/chronik
VOLUME /var/lib/chronik
EXPOSE 9092 8080
# Container-aware heap sizing; exit (and get restarted) rather than limp on after an OutOfMemoryError.
ENV CHRONIK_DATA_DIR=/var/lib/chronik \
    JAVA_TOOL_OPTIONS="-XX:+UseContainerSupport -XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/actuator/health/liveness || exit 1
ENTRYPOINT ["java", "-jar", "/opt/chronik/chronik.jar"]
