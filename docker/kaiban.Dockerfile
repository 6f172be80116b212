# The kaiban binary (every service in one binary; DESIGN.md §4).
#
#   docker build -f docker/kaiban.Dockerfile -t kaiban/kaiban:latest .
FROM golang:1.26 AS build
WORKDIR /src
COPY chaincode/go.mod chaincode/go.sum chaincode/
COPY network/go.mod network/go.sum network/
COPY services/go.mod services/go.sum services/
RUN cd services && GOWORK=off go mod download
COPY chaincode/ chaincode/
COPY network/ network/
COPY services/ services/
RUN cd services && CGO_ENABLED=0 GOWORK=off go build -trimpath -ldflags "-s -w" -o /out/kaiban ./cmd/kaiban

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/kaiban /usr/local/bin/kaiban
EXPOSE 8080
USER nonroot
ENTRYPOINT ["/usr/local/bin/kaiban"]
