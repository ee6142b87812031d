package render

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
