package render

import (
	"fmt"
	"slices"
	"strings"
)

// clusterScoped are the kinds that have no namespace: Kubernetes' own, and
// those of the platform's operators (Gatekeeper's ConstraintTemplate). A
// release holds only objects of its namespace.
var clusterScoped = map[string]bool{
	"Namespace": true, "Node": true, "PersistentVolume": true, "StorageClass": true, "VolumeAttributesClass": true,
	"ClusterRole": true, "ClusterRoleBinding": true, "CustomResourceDefinition": true, "APIService": true,
	"PriorityClass": true, "RuntimeClass": true, "IngressClass": true, "CSIDriver": true, "CSINode": true,
	"VolumeAttachment": true, "CertificateSigningRequest": true, "ClusterTrustBundle": true,
	"ValidatingWebhookConfiguration": true, "MutatingWebhookConfiguration": true,
	"ValidatingAdmissionPolicy": true, "ValidatingAdmissionPolicyBinding": true,
	"MutatingAdmissionPolicy": true, "MutatingAdmissionPolicyBinding": true,
	"FlowSchema": true, "PriorityLevelConfiguration": true, "IPAddress": true, "ServiceCIDR": true,
	"DeviceClass": true, "ConstraintTemplate": true,
}

// ClusterScoped reports whether kind is a cluster-wide kind, which a release
// may not carry: it is not the service's to change, and it outlives the
// service's namespace.
func ClusterScoped(kind string) bool {
	return clusterScoped[kind]
}

// reservedNamespaces are namespaces no service deploys to (besides kube-*):
// Kubernetes' default and the platform's own.
var reservedNamespaces = []string{"default", "monitoring", "gatekeeper-system", "golden-path-system"}

// ReservedNamespace says why no service may deploy to ns (Kubernetes' own
// kube-* and default, the platform's monitoring, gatekeeper-system and
// golden-path-system), or returns "".
func ReservedNamespace(ns string) string {
	switch {
	case strings.HasPrefix(ns, "kube-"):
		return fmt.Sprintf("%s is Kubernetes' own (kube-*)", ns)
	case slices.Contains(reservedNamespaces, ns):
		return fmt.Sprintf("%s is reserved for the cluster and the platform (%s, kube-*)", ns, strings.Join(reservedNamespaces, ", "))
	}
	return ""
}
