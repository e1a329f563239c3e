// Command aws-auth-check runs aws-iam-authenticator's own aws-auth ConfigMap
// parser over a ConfigMap data map, so tests can compare our Python model
// against the real thing.
//
// Default mode. Input (stdin): JSON object, the ConfigMap .data (string ->
// string). Output (stdout, exit 0):
//
//	{"mapRoles":[{"rolearn":"","username":"","groups":[]}],
//	 "mapUsers":[{"userarn":"","username":"","groups":[]}],
//	 "mapAccounts":[""]}
//
// Missing/null username is printed as "" and missing/null groups as [] so the
// output compares directly with aws_auth.to_result(). Parse errors go to
// stderr with exit 1.
//
// Batch mode (-batch), for differential tests that check thousands of
// ConfigMaps without starting a process for each: stdin holds one JSON object
// (a ConfigMap .data) per line; stdout gets one JSON line per input line:
//
//	{"sections":{"mapRoles":[...],"mapUsers":[...],"mapAccounts":[...]},
//	 "errors":{"mapRoles":"..."}}
//
// Each section is parsed on its own (ParseMap of a one-key map), so an error
// names its section; "sections" holds what ParseMap returned even for a
// section with an error (the authenticator saves that partial data). A panic
// inside the parser is reported as {"panic":"..."} instead of ending the run.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/sirupsen/logrus"
	"sigs.k8s.io/aws-iam-authenticator/pkg/config"
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

type batchOut struct {
	Sections *result          `json:"sections,omitempty"`
	Errors   map[string]string `json:"errors,omitempty"`
	Panic    string            `json:"panic,omitempty"`
}

// nonNil makes absent groups print as [] rather than null.
func nonNil(groups []string) []string {
	if groups == nil {
		return []string{}
	}
	return groups
}

func newResult() result {
	return result{MapRoles: []roleOut{}, MapUsers: []userOut{}, MapAccounts: []string{}}
}

func (out *result) add(users []config.UserMapping, roles []config.RoleMapping, accounts []string) {
	for _, r := range roles {
		out.MapRoles = append(out.MapRoles, roleOut{r.RoleARN, r.Username, nonNil(r.Groups)})
	}
	for _, u := range users {
		out.MapUsers = append(out.MapUsers, userOut{u.UserARN, u.Username, nonNil(u.Groups)})
	}
	out.MapAccounts = append(out.MapAccounts, accounts...)
}

func checkOne(data map[string]string) (out batchOut) {
	defer func() {
		if p := recover(); p != nil {
			out = batchOut{Panic: fmt.Sprint(p)}
		}
	}()
	sections := newResult()
	out.Sections = &sections
	for _, key := range []string{"mapRoles", "mapUsers", "mapAccounts"} {
		text, ok := data[key]
		if !ok {
			continue
		}
		// ParseMap is what the authenticator runs on every aws-auth watch event.
		users, roles, accounts, err := configmap.ParseMap(map[string]string{key: text})
		sections.add(users, roles, accounts)
		if err != nil {
			if out.Errors == nil {
				out.Errors = map[string]string{}
			}
			out.Errors[key] = err.Error()
		}
	}
	return out
}

func batch() {
	in := bufio.NewReader(os.Stdin)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for {
		line, err := in.ReadBytes('\n')
		if len(line) > 0 {
			data := map[string]string{}
			var out batchOut
			if jerr := json.Unmarshal(line, &data); jerr != nil {
				out = batchOut{Panic: "input line is not a JSON object of strings: " + jerr.Error()}
			} else {
				out = checkOne(data)
			}
			if eerr := enc.Encode(out); eerr != nil {
				fmt.Fprintf(os.Stderr, "encoding result: %v\n", eerr)
				os.Exit(2)
			}
		}
		if err == io.EOF {
			return
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "reading stdin: %v\n", err)
			os.Exit(2)
		}
	}
}

func main() {
	batchMode := flag.Bool("batch", false, "one JSON ConfigMap .data per line in, one JSON result per line out")
	flag.Parse()

	// ParseMap logs its own warning; keep stderr to the one error line.
	logrus.SetOutput(io.Discard)

	if *batchMode {
		batch()
		return
	}

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

	// The mapping types in v0.6.13 have no Validate method; ParseMap is the
	// whole of the acceptance logic.
	users, roles, accounts, err := configmap.ParseMap(data)
	if err != nil {
		fmt.Fprintln(os.Stderr, err.Error())
		os.Exit(1)
	}

	out := newResult()
	out.add(users, roles, accounts)

	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(os.Stderr, "encoding result: %v\n", err)
		os.Exit(2)
	}
}
