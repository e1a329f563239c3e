// Command upsert-driver maps N IAM roles into aws-auth one upsert at a time,
// the way a per-mapping Go tool does it: for each mapping, read the ConfigMap,
// add or update the entry, write it back (retrying on 409 Conflict).
//
// It stands in for keikoproj/aws-auth in tests/bench/bench.py because the Go
// module proxy reachable here refuses that module (see docs/benchmarks.md).
// Written from that tool's documented behaviour (Upsert = read, modify,
// update; a no-op upsert does not write), not from its code.
//
//	upsert-driver -kubeconfig FILE -account 123456789012 -count 200 -prefix bench
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"reflect"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"
)

type roleMapping struct {
	RoleARN  string   `json:"rolearn"`
	Username string   `json:"username"`
	Groups   []string `json:"groups,omitempty"`
}

// upsert adds or updates one role mapping; it reports whether it wrote.
func upsert(ctx context.Context, client kubernetes.Interface, want roleMapping) (bool, error) {
	cms := client.CoreV1().ConfigMaps("kube-system")
	cm, err := cms.Get(ctx, "aws-auth", metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		cm = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "aws-auth", Namespace: "kube-system"}}
		cm, err = cms.Create(ctx, cm, metav1.CreateOptions{})
	}
	if err != nil {
		return false, err
	}
	var roles []roleMapping
	if err := yaml.Unmarshal([]byte(cm.Data["mapRoles"]), &roles); err != nil {
		return false, fmt.Errorf("mapRoles: %w", err)
	}
	found := false
	for i := range roles {
		if roles[i].RoleARN == want.RoleARN {
			found = true
			if reflect.DeepEqual(roles[i], want) {
				return false, nil
			}
			roles[i] = want
		}
	}
	if !found {
		roles = append(roles, want)
	}
	text, err := yaml.Marshal(roles)
	if err != nil {
		return false, err
	}
	if cm.Data == nil {
		cm.Data = map[string]string{}
	}
	cm.Data["mapRoles"] = string(text)
	_, err = cms.Update(ctx, cm, metav1.UpdateOptions{})
	return err == nil, err
}

func main() {
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig file")
	account := flag.String("account", "123456789012", "AWS account ID of the roles")
	count := flag.Int("count", 200, "number of role mappings")
	prefix := flag.String("prefix", "bench", "role name prefix")
	flag.Parse()

	config, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	config.QPS, config.Burst = 1000, 1000 // measure the pattern, not client-side throttling
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx := context.Background()
	writes := 0
	for n := 0; n < *count; n++ {
		want := roleMapping{
			RoleARN:  fmt.Sprintf("arn:aws:iam::%s:role/%s-%03d", *account, *prefix, n),
			Username: fmt.Sprintf("%s-%03d", *prefix, n),
			Groups:   []string{fmt.Sprintf("%s-team-%d", *prefix, n%10)},
		}
		for attempt := 1; ; attempt++ {
			wrote, err := upsert(ctx, client, want)
			if err == nil {
				if wrote {
					writes++
				}
				break
			}
			if !apierrors.IsConflict(err) || attempt == 8 {
				fmt.Fprintf(os.Stderr, "upsert %s: %v\n", want.RoleARN, err)
				os.Exit(1)
			}
			time.Sleep(time.Duration(attempt*50) * time.Millisecond)
		}
	}
	fmt.Printf("{\"mappings\": %d, \"writes\": %d}\n", *count, writes)
}
