package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Validate reports every problem of the configuration at once, each naming
// its file key, so that one correction round fixes them all.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	checkAddr := func(key, addr string) {
		if err := checkListen(addr); err != nil {
			bad(key, "%v", err)
		}
	}

	checkAddr("http.listen", c.HTTP.Listen)
	checkAddr("http.opsListen", c.HTTP.OpsListen)
	if c.HTTP.RateLimit < 0 {
		bad("http.rateLimit", "must be 0 (no limit) or more, not %g", c.HTTP.RateLimit)
	}
	if c.HTTP.RateLimit > 0 && c.HTTP.RateBurst < 1 {
		bad("http.rateBurst", "must be at least 1 when http.rateLimit is set, not %d", c.HTTP.RateBurst)
	}
	if c.HTTP.MaxBodyBytes < 1 {
		bad("http.maxBodyBytes", "must be at least 1, not %d", c.HTTP.MaxBodyBytes)
	}
	for _, p := range c.HTTP.TrustedProxies {
		if _, err := netip.ParsePrefix(p); err != nil {
			if _, err := netip.ParseAddr(p); err != nil {
				bad("http.trustedProxies", "%q is neither an IP address nor a CIDR", p)
			}
		}
	}
	for key, u := range map[string]string{"http.endpoints.production": c.HTTP.Endpoints.Production, "http.endpoints.test": c.HTTP.Endpoints.Test} {
		if err := checkEndpoint(u); err != nil {
			bad(key, "%v", err)
		}
	}
	for key, d := range map[string]int64{
		"http.readHeaderTimeout":    int64(c.HTTP.ReadHeaderTimeout),
		"http.readTimeout":          int64(c.HTTP.ReadTimeout),
		"http.writeTimeout":         int64(c.HTTP.WriteTimeout),
		"http.idleTimeout":          int64(c.HTTP.IdleTimeout),
		"http.shutdownTimeout":      int64(c.HTTP.ShutdownTimeout),
		"audit.anchorEvery":         int64(c.Audit.AnchorEvery),
		"chain.devnet.batchTimeout": int64(c.Chain.Devnet.BatchTimeout),
	} {
		if d <= 0 {
			bad(key, "must be positive")
		}
	}

	if u := c.Database.URL; u != "" && strings.Contains(u, "://") &&
		!strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") {
		bad("database.url", "must be a postgres:// or postgresql:// URL or a key=value connection string")
	}
	if c.Database.MaxConns < 0 {
		bad("database.maxConns", "must be 0 (pgx's default) or more, not %d", c.Database.MaxConns)
	}
	if c.Database.LocalPort < 1 || c.Database.LocalPort > 65535 {
		bad("database.localPort", "must be a port number, not %d", c.Database.LocalPort)
	}

	if !channelName.MatchString(c.Chain.Channel) {
		bad("chain.channel", "%q is not a Fabric channel name (lower-case letters, digits, '.' and '-', starting with a letter)", c.Chain.Channel)
	}
	if c.Chain.Endpoint != "" {
		if _, _, err := net.SplitHostPort(c.Chain.Endpoint); err != nil {
			bad("chain.endpoint", "%q is not host:port", c.Chain.Endpoint)
		}
	}
	if (c.Chain.Cert == "") != (c.Chain.Key == "") {
		bad("chain.cert", "chain.cert and chain.key go together")
	}
	checkAddr("chain.devnet.listen", c.Chain.Devnet.Listen)
	if c.Chain.Devnet.Ops != "-" {
		checkAddr("chain.devnet.ops", c.Chain.Devnet.Ops)
	}

	switch c.Objects.Kind {
	case ObjectsFS:
		if c.Objects.Dir == "" {
			bad("objects.dir", "is required for objects.kind fs")
		}
	case ObjectsMinIO:
		for key, v := range map[string]string{
			"objects.endpoint": c.Objects.Endpoint, "objects.bucket": c.Objects.Bucket,
			"objects.accessKey": c.Objects.AccessKey, "objects.secretKey": c.Objects.SecretKey,
		} {
			if v == "" {
				bad(key, "is required for objects.kind minio")
			}
		}
	default:
		bad("objects.kind", "must be %s or %s, not %q", ObjectsFS, ObjectsMinIO, c.Objects.Kind)
	}

	if k := c.Secrets.MasterKey; k != "" {
		if b, err := hex.DecodeString(strings.TrimSpace(k)); err != nil || len(b) != MasterKeySize {
			bad("secrets.masterKey", "must be %d hex digits", 2*MasterKeySize)
		}
	}
	if c.Jobs.Workers < 1 {
		bad("jobs.workers", "must be at least 1, not %d", c.Jobs.Workers)
	}
	if c.Jobs.ChainWorkers < 1 {
		bad("jobs.chainWorkers", "must be at least 1, not %d", c.Jobs.ChainWorkers)
	}

	switch strings.ToLower(c.Log.Level) {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "must be debug, info, warn or error, not %q", c.Log.Level)
	}
	if c.Log.Format != "json" && c.Log.Format != "text" {
		bad("log.format", "must be json or text, not %q", c.Log.Format)
	}
	// Map iteration above is unordered; the report is not.
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errors.Join(errs...)
}

func checkListen(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port (like :8080 or 127.0.0.1:8080)", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q has no valid port", addr)
	}
	if host != "" && net.ParseIP(host) == nil && strings.ContainsAny(host, " /") {
		return fmt.Errorf("%q has no valid host", addr)
	}
	return nil
}

// channelName is Fabric's rule for channel names.
var channelName = regexp.MustCompile(`^[a-z][a-z0-9.-]{0,248}$`)

// Require reports the fields among keys (file keys such as "database.url")
// that are empty, each with every way to set it, for commands that cannot
// run on a default: what names the command, e.g. "kaiban serve".
func (c Config) Require(what string, keys ...string) error {
	var errs []error
	for _, key := range keys {
		f, ok := fieldByKey(key)
		if !ok {
			panic("config: Require of unknown key " + key)
		}
		if reflect.ValueOf(c).FieldByIndex(f.index).IsZero() {
			envs := strings.Join(f.envs, " or ")
			errs = append(errs, fmt.Errorf("%s needs %s: set %s, --%s or %s in the config file", what, key, envs, f.flag, key))
		}
	}
	return errors.Join(errs...)
}

func fieldByKey(key string) (field, bool) {
	for _, f := range fields() {
		if f.key() == key {
			return f, true
		}
	}
	return field{}, false
}

// checkEndpoint accepts "" or an absolute http(s) URL without query or
// fragment: an address integrators are told to call.
func checkEndpoint(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", s)
	}
	return nil
}
