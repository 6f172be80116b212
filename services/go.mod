module github.com/kaiban-platform/kaiban/services

go 1.26

require github.com/kaiban-platform/kaiban/chaincode v0.0.0

replace github.com/kaiban-platform/kaiban/chaincode => ../chaincode
