// Command aws-auth-check runs aws-iam-authenticator's own aws-auth ConfigMap
// parser over a ConfigMap data map, so tests can compare our Python model
// against the real thing.
//
// Input (stdin): JSON object, the ConfigMap .data (string -> string).
// Output (stdout, exit 0):
//
//	{"mapRoles":[{"rolearn":"","username":"","groups":[]}],
//	 "mapUsers":[{"userarn":"","username":"","groups":[]}],
//	 "mapAccounts":[""]}
//
// Missing/null username is printed as "" and missing/null groups as [] so the
// output compares directly with aws_auth.to_result(). Parse errors go to
// stderr with exit 1.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/sirupsen/logrus"
	"sigs.k8s.io/aws-iam-authenticator/pkg/mapper/configmap"
)

type roleOut struct {
	RoleARN  string   `json:"rolearn"`
	Username string   `json:"username"`
	Groups   []string `json:"groups"`
}

type userOut struct {
	UserARN  string   `json:"userarn"`
	Username string   `json:"username"`
	Groups   []string `json:"groups"`
}

type result struct {
	MapRoles    []roleOut `json:"mapRoles"`
	MapUsers    []userOut `json:"mapUsers"`
	MapAccounts []string  `json:"mapAccounts"`
}

// nonNil makes absent groups print as [] rather than null.
func nonNil(groups []string) []string {
	if groups == nil {
		return []string{}
	}
	return groups
}

func main() {
	raw, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintf(os.Stderr, "reading stdin: %v\n", err)
		os.Exit(2)
	}
	data := map[string]string{}
	if err := json.Unmarshal(raw, &data); err != nil {
		fmt.Fprintf(os.Stderr, "stdin must be a JSON object of strings: %v\n", err)
		os.Exit(2)
	}

	// ParseMap logs its own warning; keep stderr to the one error line.
	logrus.SetOutput(io.Discard)

	// ParseMap is what the authenticator runs on every aws-auth watch event.
	// The mapping types in v0.6.13 have no Validate method; ParseMap is the
	// whole of the acceptance logic.
	users, roles, accounts, err := configmap.ParseMap(data)
	if err != nil {
		fmt.Fprintln(os.Stderr, err.Error())
		os.Exit(1)
	}

	out := result{
		MapRoles:    []roleOut{},
		MapUsers:    []userOut{},
		MapAccounts: []string{},
	}
	for _, r := range roles {
		out.MapRoles = append(out.MapRoles, roleOut{r.RoleARN, r.Username, nonNil(r.Groups)})
	}
	for _, u := range users {
		out.MapUsers = append(out.MapUsers, userOut{u.UserARN, u.Username, nonNil(u.Groups)})
	}
	out.MapAccounts = append(out.MapAccounts, accounts...)

	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(os.Stderr, "encoding result: %v\n", err)
		os.Exit(2)
	}
}
