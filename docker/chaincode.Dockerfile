# The Kaiban chaincodes as a service (CCaaS): one image holding the four
# chaincode binaries; a container runs one of them, e.g.
#   command: ["/usr/local/bin/subject"]
# with CHAINCODE_SERVER_ADDRESS and CHAINCODE_ID set (chaincode/launch).
# kaiban-net's compose file (docker-compose.fabric.yaml) runs one container
# per deployed package, as kaiban/chaincode:<version>.
#
#   docker build -f docker/chaincode.Dockerfile -t kaiban/chaincode:1.0 .
FROM golang:1.26 AS build
WORKDIR /src/chaincode
COPY chaincode/go.mod chaincode/go.sum ./
RUN go mod download
COPY chaincode/ ./
RUN CGO_ENABLED=0 GOWORK=off go build -trimpath -ldflags "-s -w" -o /out/ ./cmd/...

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ /usr/local/bin/
EXPOSE 9999
USER nonroot
