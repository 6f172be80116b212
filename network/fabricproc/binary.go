package fabricproc

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// EnvFabricBin names the directory holding the Fabric binaries.
const EnvFabricBin = "FABRIC_BIN"

// MissingBinaryError reports a Fabric binary found neither in FABRIC_BIN nor
// on the PATH.
type MissingBinaryError struct {
	Name      string
	FabricBin string
}

func (e *MissingBinaryError) Error() string {
	where := "FABRIC_BIN is not set and it is not on the PATH"
	if e.FabricBin != "" {
		where = fmt.Sprintf("not in FABRIC_BIN=%s (nor its bin/) nor on the PATH", e.FabricBin)
	}
	return fmt.Sprintf("Fabric binary %q: %s; download the Fabric 3.1 release "+
		"(hyperledger-fabric-linux-amd64-3.1.x.tar.gz from github.com/hyperledger/fabric/releases), "+
		"unpack it and set FABRIC_BIN to its bin directory, or use --docker", e.Name, where)
}

// FindBinary returns the path of a Fabric binary (peer, orderer): in
// $FABRIC_BIN, in $FABRIC_BIN/bin, or on the PATH.
func FindBinary(name string) (string, error) {
	dir := os.Getenv(EnvFabricBin)
	if dir != "" {
		for _, p := range []string{filepath.Join(dir, name), filepath.Join(dir, "bin", name)} {
			if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
				return filepath.Abs(p)
			}
		}
	}
	p, err := exec.LookPath(name)
	if err == nil {
		return filepath.Abs(p)
	}
	if !errors.Is(err, exec.ErrNotFound) && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	return "", &MissingBinaryError{Name: name, FabricBin: dir}
}
