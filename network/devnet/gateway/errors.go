package gateway

import (
	gp "github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/protoadapt"
)

// rpcError builds a gRPC status error with ErrorDetail entries, as Fabric's
// gateway does (newRpcError in internal/pkg/gateway).
func rpcError(code codes.Code, message string, details ...proto.Message) error {
	st := status.New(code, message)
	if len(details) == 0 {
		return st.Err()
	}
	ds := make([]protoadapt.MessageV1, 0, len(details))
	for _, d := range details {
		ds = append(ds, protoadapt.MessageV1Of(d))
	}
	if std, err := st.WithDetails(ds...); err == nil {
		return std.Err()
	}
	return st.Err()
}

func (s *Server) errorDetail(mspID, message string) *gp.ErrorDetail {
	return &gp.ErrorDetail{Address: s.cfg.Endpoint, MspId: mspID, Message: message}
}
