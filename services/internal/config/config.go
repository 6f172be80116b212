// Package config is the one configuration of the kaiban binary: a single
// struct, documented field by field, whose defaults run the platform on a
// laptop with nothing set.
//
// Every field is reachable three ways, derived from its place in the struct
// so that the names can never drift apart:
//
//	file  (--config FILE, YAML or JSON)  http: {listen: ":8080"}
//	env                                  KAIBAN_HTTP_LISTEN=:8080
//	flag                                 --http-listen=:8080
//
// Flags win over the environment, which wins over the file, which wins over
// the defaults. A field may name extra environment variables in its env tag
// (DATABASE_URL is the conventional one). Fields tagged secret are masked
// wherever the configuration is printed.
package config

//go:generate go run ./gendoc ../../../docs/services.md

import (
	"time"
)

// Config is the configuration of one kaiban process. The doc tag of each field
// is its documentation: it is what `kaiban help config` prints and what
// docs/services.md's reference table is generated from.
type Config struct {
	HTTP     HTTP     `json:"http"`
	Database Database `json:"database"`
	Chain    Chain    `json:"chain"`
	Objects  Objects  `json:"objects"`
	Secrets  Secrets  `json:"secrets"`
	Jobs     Jobs     `json:"jobs"`
	Audit    Audit    `json:"audit"`
	Log      Log      `json:"log"`
}

// HTTP configures the HTTP server of the api service and the operations
// endpoints of the other services.
type HTTP struct {
	Listen            string        `json:"listen" doc:"address of the HTTP server: the REST API, /docs, /metrics, /healthz, /readyz"`
	OpsListen         string        `json:"opsListen" doc:"address of /healthz, /readyz and /metrics in a process without the api service (serve worker); the api serves them on listen"`
	RateLimit         float64       `json:"rateLimit" doc:"sustained requests per second allowed to one client (authenticated client, else IP) on /api; 0 disables the limit"`
	RateBurst         int           `json:"rateBurst" doc:"requests one client may send at once above the sustained rate"`
	MaxBodyBytes      int64         `json:"maxBodyBytes" doc:"largest request body accepted; larger ones get 413"`
	TrustedProxies    []string      `json:"trustedProxies" doc:"proxy addresses or CIDRs whose X-Forwarded-For is believed when identifying a client; empty trusts none"`
	ReadHeaderTimeout time.Duration `json:"readHeaderTimeout" doc:"longest time a client may take to send the request headers"`
	ReadTimeout       time.Duration `json:"readTimeout" doc:"longest time a client may take to send a whole request, body included"`
	WriteTimeout      time.Duration `json:"writeTimeout" doc:"longest time from the end of a request's headers to the end of its response"`
	IdleTimeout       time.Duration `json:"idleTimeout" doc:"how long an idle keep-alive connection stays open"`
	ShutdownTimeout   time.Duration `json:"shutdownTimeout" doc:"how long a stopping process waits for requests in flight before closing their connections"`
	Endpoints         Endpoints     `json:"endpoints"`
}

// Endpoints are the addresses integrators connect to, shown to them when
// they apply for API access (Annex A.3). Empty ones are left out and the
// portal shows its own origin instead.
type Endpoints struct {
	Production string `json:"production" doc:"base URL of the production API shown to integrators (https://…/api/v1); empty: the portal's own origin"`
	Test       string `json:"test" doc:"base URL of the test API shown to integrators; empty: the portal's own origin"`
}

// Database configures PostgreSQL.
type Database struct {
	URL       string `json:"url" env:"DATABASE_URL" secret:"url" doc:"PostgreSQL connection URL; 'kaiban dev' starts a local cluster when it is empty, every other command requires it"`
	MaxConns  int32  `json:"maxConns" doc:"most connections in the pool; 0 lets pgx choose (4 or the number of CPUs, whichever is more)"`
	LocalDir  string `json:"localDir" doc:"'kaiban dev' without a URL: folder of the local cluster (data, log)"`
	LocalPort int    `json:"localPort" doc:"'kaiban dev' without a URL: port of the local cluster on 127.0.0.1"`
}

// Chain configures the ledger: the embedded devnet of 'kaiban dev', or the
// gateway peer of a Fabric (or devnet) network that the other commands
// connect to as one organisation. kaiban-net writes this section for each
// organisation and channel (connection/<MSPID>.yaml), so such a file can be
// given as --config as it is.
type Chain struct {
	Channel     string `json:"channel" doc:"channel the Kaiban chaincodes are deployed on"`
	Endpoint    string `json:"endpoint" doc:"gateway peer host:port; 'kaiban dev' ignores it and uses its own devnet"`
	ServerName  string `json:"serverName" doc:"TLS server name of the gateway peer, when it differs from the endpoint's host"`
	TLSRootCert string `json:"tlsRootCert" doc:"PEM file of the CA that issued the gateway peer's TLS certificate; empty connects without TLS (a devnet without TLS only)"`
	MSPID       string `json:"mspId" doc:"MSP ID of the organisation the platform acts for"`
	Cert        string `json:"cert" doc:"PEM file (or MSP signcerts folder) of the platform's Fabric signing certificate"`
	Key         string `json:"key" doc:"PEM file (or MSP keystore folder) of the private key of cert"`
	Devnet      Devnet `json:"devnet"`
}

// Devnet configures the embedded development network that 'kaiban dev' runs
// in its own process (network/devnet).
type Devnet struct {
	Dir    string `json:"dir" doc:"data folder of the devnet: crypto material and ledgers"`
	Listen string `json:"listen" doc:"gRPC address of the devnet's Gateway and Deliver services"`
	Ops    string `json:"ops" doc:"address of the devnet's own /healthz and /metrics; '-' disables them"`
	TLS    bool   `json:"tls" doc:"serve the devnet's gRPC over TLS, as a real peer does"`
	// BatchTimeout is short by default because a development run submits
	// few transactions at once: at Fabric's 2 s each chain write of an
	// establishment (start, issue, decision, bundle, every material read)
	// waited up to that long for its block.
	BatchTimeout time.Duration `json:"batchTimeout" doc:"longest a transaction waits for its block to be cut (Fabric's production default is 2s)"`
}

// Objects configures the object store that holds asset content (storage
// nodes, 7.2 c).
type Objects struct {
	Kind      string `json:"kind" doc:"object store: 'fs' (a local folder) or 'minio' (MinIO or any S3 server)"`
	Dir       string `json:"dir" doc:"kind fs: folder of the objects"`
	Endpoint  string `json:"endpoint" doc:"kind minio: host:port of the server"`
	Bucket    string `json:"bucket" doc:"kind minio: bucket of the objects; created when missing"`
	AccessKey string `json:"accessKey" doc:"kind minio: access key"`
	SecretKey string `json:"secretKey" secret:"true" doc:"kind minio: secret key"`
	Secure    bool   `json:"secure" doc:"kind minio: connect with TLS"`
	Region    string `json:"region" doc:"kind minio: region of the bucket"`
}

// Secrets configures the master key from which the process derives every
// key it holds outside the database: personal-data sealing and blind
// indexes, audit MACs, identity secrets, the chain outbox's transient data.
type Secrets struct {
	MasterKey     string `json:"masterKey" secret:"true" doc:"the master key: 64 hex digits (32 random bytes); wins over masterKeyFile"`
	MasterKeyFile string `json:"masterKeyFile" doc:"file holding the master key in hex; 'kaiban dev' creates it (mode 0600) when it is missing and masterKey is empty"`
}

// Jobs configures the background workers (River) of 'serve worker' and
// 'kaiban dev'.
type Jobs struct {
	Workers int `json:"workers" doc:"concurrent jobs per queue (reminders, dispatch, oversight); the chain outbox has chainWorkers"`
	// ChainWorkers is separate because a chain write's job spends its time
	// waiting for its block (endorse, order, commit), not working: with as
	// many writes in flight as workers, the workers bound the writes per
	// block, and so the platform's throughput.
	ChainWorkers int `json:"chainWorkers" doc:"concurrent chain outbox writes; each mostly waits for its block, so the writes committed per block are at most this many (writes of one lane still go in order)"`
}

// Audit configures the audit log of the api service.
type Audit struct {
	AnchorEvery time.Duration `json:"anchorEvery" doc:"how often the audit log's head is anchored on chain (only when it has grown): the longest time rows deleted from the end of the log go unnoticed"`
}

// Log configures the process log.
type Log struct {
	Level  string `json:"level" doc:"least severe level logged: debug, info, warn or error"`
	Format string `json:"format" doc:"json (one object a line, for machines) or text"`
}

// Default returns the configuration that runs locally with nothing set.
func Default() Config {
	return Config{
		HTTP: HTTP{
			Listen:            ":8080",
			OpsListen:         ":9090",
			RateLimit:         200,
			RateBurst:         400,
			MaxBodyBytes:      16 << 20,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       time.Minute,
			WriteTimeout:      2 * time.Minute,
			IdleTimeout:       2 * time.Minute,
			ShutdownTimeout:   15 * time.Second,
		},
		Database: Database{
			LocalDir:  ".kaiban/pg",
			LocalPort: 55431,
		},
		Chain: Chain{
			Channel: "kaiban",
			Devnet: Devnet{
				Dir:          ".kaiban/devnet",
				Listen:       "127.0.0.1:7051",
				Ops:          "127.0.0.1:9443",
				TLS:          true,
				BatchTimeout: 200 * time.Millisecond,
			},
		},
		Objects: Objects{
			Kind:   ObjectsFS,
			Dir:    ".kaiban/objects",
			Bucket: "kaiban",
		},
		Secrets: Secrets{MasterKeyFile: ".kaiban/master.key"},
		Jobs:    Jobs{Workers: 8, ChainWorkers: 64},
		Audit:   Audit{AnchorEvery: time.Minute},
		Log:     Log{Level: "info", Format: "json"},
	}
}

// Object store kinds.
const (
	ObjectsFS    = "fs"
	ObjectsMinIO = "minio"
)

// MasterKeySize is the size in bytes of the master key.
const MasterKeySize = 32
