// Field tables of the Kubernetes protobuf messages kubectl's typed clients
// send (kubectl create/run/auth use protobuf bodies). Written as
// "<number> <jsonName> <type>" lines after k8s.io/api's generated.proto;
// `[]T` is repeated, `map<T>` a string-keyed map, `inline` merges an
// embedded message into its parent (Go struct embedding). Fields not listed
// are skipped, so an incomplete table loses data but never fails.

export type Table = Record<string, string[]>;

export const SCHEMAS: Table = {
  ObjectMeta: ['1 name string', '2 generateName string', '3 namespace string', '5 uid string', '6 resourceVersion string', '7 generation int', '8 creationTimestamp Time', '9 deletionTimestamp Time', '10 deletionGracePeriodSeconds int', '11 labels map<string>', '12 annotations map<string>', '13 ownerReferences []OwnerReference', '14 finalizers []string'],
  OwnerReference: ['1 kind string', '3 name string', '4 uid string', '5 apiVersion string', '6 controller bool', '7 blockOwnerDeletion bool'],
  LabelSelector: ['1 matchLabels map<string>', '2 matchExpressions []LabelSelectorRequirement'],
  LabelSelectorRequirement: ['1 key string', '2 operator string', '3 values []string'],
  DeleteOptions: ['1 gracePeriodSeconds int', '2 preconditions Preconditions', '3 orphanDependents bool', '4 propagationPolicy string', '5 dryRun []string'],
  Preconditions: ['1 uid string', '2 resourceVersion string'],
  Quantity: ['1 string string'],
  IntOrString: ['1 type int', '2 intVal int', '3 strVal string'],
  LocalObjectReference: ['1 name string'],

  Pod: ['1 metadata ObjectMeta', '2 spec PodSpec'],
  PodTemplateSpec: ['1 metadata ObjectMeta', '2 spec PodSpec'],
  PodSpec: ['1 volumes []Volume', '2 containers []Container', '3 restartPolicy string', '4 terminationGracePeriodSeconds int', '5 activeDeadlineSeconds int', '6 dnsPolicy string', '7 nodeSelector map<string>', '8 serviceAccountName string', '9 serviceAccount string', '10 nodeName string', '11 hostNetwork bool', '15 imagePullSecrets []LocalObjectReference', '16 hostname string', '17 subdomain string', '19 schedulerName string', '20 initContainers []Container', '21 automountServiceAccountToken bool', '22 tolerations []Toleration', '24 priorityClassName string', '30 enableServiceLinks bool'],
  Container: ['1 name string', '2 image string', '3 command []string', '4 args []string', '5 workingDir string', '6 ports []ContainerPort', '7 env []EnvVar', '8 resources ResourceRequirements', '9 volumeMounts []VolumeMount', '13 terminationMessagePath string', '14 imagePullPolicy string', '16 stdin bool', '17 stdinOnce bool', '18 tty bool', '19 envFrom []EnvFromSource', '20 terminationMessagePolicy string'],
  ContainerPort: ['1 name string', '2 hostPort int', '3 containerPort int', '4 protocol string', '5 hostIP string'],
  EnvVar: ['1 name string', '2 value string', '3 valueFrom EnvVarSource'],
  EnvVarSource: ['1 fieldRef ObjectFieldSelector', '3 configMapKeyRef KeySelector', '4 secretKeyRef KeySelector'],
  ObjectFieldSelector: ['1 apiVersion string', '2 fieldPath string'],
  KeySelector: ['1 - inline:LocalObjectReference', '2 key string', '3 optional bool'],
  EnvFromSource: ['1 prefix string', '2 configMapRef RefSource', '3 secretRef RefSource'],
  RefSource: ['1 - inline:LocalObjectReference', '2 optional bool'],
  ResourceRequirements: ['1 limits map<Quantity>', '2 requests map<Quantity>'],
  VolumeMount: ['1 name string', '2 readOnly bool', '3 mountPath string', '4 subPath string'],
  Volume: ['1 name string', '2 - inline:VolumeSource'],
  VolumeSource: ['1 hostPath HostPath', '2 emptyDir EmptyDir', '6 secret SecretVolume', '10 persistentVolumeClaim PvcVolume', '19 configMap ConfigMapVolume'],
  HostPath: ['1 path string', '2 type string'],
  EmptyDir: ['1 medium string', '2 sizeLimit Quantity'],
  SecretVolume: ['1 secretName string', '3 defaultMode int', '4 optional bool'],
  PvcVolume: ['1 claimName string', '2 readOnly bool'],
  ConfigMapVolume: ['1 - inline:LocalObjectReference', '3 defaultMode int', '4 optional bool'],
  Toleration: ['1 key string', '2 operator string', '3 value string', '4 effect string', '5 tolerationSeconds int'],

  Namespace: ['1 metadata ObjectMeta', '2 spec NamespaceSpec'],
  NamespaceSpec: ['1 finalizers []string'],
  ConfigMap: ['1 metadata ObjectMeta', '2 data map<string>', '3 binaryData map<bytes>', '4 immutable bool'],
  Secret: ['1 metadata ObjectMeta', '2 data map<bytes>', '3 type string', '4 stringData map<string>', '5 immutable bool'],
  ServiceAccount: ['1 metadata ObjectMeta', '3 imagePullSecrets []LocalObjectReference', '4 automountServiceAccountToken bool'],
  Service: ['1 metadata ObjectMeta', '2 spec ServiceSpec'],
  ServiceSpec: ['1 ports []ServicePort', '2 selector map<string>', '3 clusterIP string', '4 type string', '5 externalIPs []string', '7 sessionAffinity string', '10 externalName string', '11 externalTrafficPolicy string', '18 clusterIPs []string', '22 internalTrafficPolicy string'],
  ServicePort: ['1 name string', '2 protocol string', '3 port int', '4 targetPort IntOrString', '5 nodePort int', '6 appProtocol string'],

  Deployment: ['1 metadata ObjectMeta', '2 spec DeploymentSpec'],
  DeploymentSpec: ['1 replicas int', '2 selector LabelSelector', '3 template PodTemplateSpec', '4 strategy DeploymentStrategy', '5 minReadySeconds int', '6 revisionHistoryLimit int', '7 paused bool', '9 progressDeadlineSeconds int'],
  DeploymentStrategy: ['1 type string', '2 rollingUpdate RollingUpdateDeployment'],
  RollingUpdateDeployment: ['1 maxUnavailable IntOrString', '2 maxSurge IntOrString'],
  ReplicaSet: ['1 metadata ObjectMeta', '2 spec ReplicaSetSpec'],
  ReplicaSetSpec: ['1 replicas int', '2 selector LabelSelector', '3 template PodTemplateSpec', '4 minReadySeconds int'],
  Job: ['1 metadata ObjectMeta', '2 spec JobSpec'],
  JobSpec: ['1 parallelism int', '2 completions int', '3 activeDeadlineSeconds int', '4 selector LabelSelector', '5 manualSelector bool', '6 template PodTemplateSpec', '7 backoffLimit int', '8 ttlSecondsAfterFinished int'],

  Role: ['1 metadata ObjectMeta', '2 rules []PolicyRule'],
  ClusterRole: ['1 metadata ObjectMeta', '2 rules []PolicyRule', '3 aggregationRule AggregationRule'],
  AggregationRule: ['1 clusterRoleSelectors []LabelSelector'],
  PolicyRule: ['1 verbs []string', '2 apiGroups []string', '3 resources []string', '4 resourceNames []string', '5 nonResourceURLs []string'],
  RoleBinding: ['1 metadata ObjectMeta', '2 subjects []Subject', '3 roleRef RoleRef'],
  ClusterRoleBinding: ['1 metadata ObjectMeta', '2 subjects []Subject', '3 roleRef RoleRef'],
  Subject: ['1 kind string', '2 apiGroup string', '3 name string', '4 namespace string'],
  RoleRef: ['1 apiGroup string', '2 kind string', '3 name string'],

  SelfSubjectReview: ['1 metadata ObjectMeta'],
  SelfSubjectAccessReview: ['1 metadata ObjectMeta', '2 spec SelfSubjectAccessReviewSpec'],
  SelfSubjectAccessReviewSpec: ['1 resourceAttributes ResourceAttributes', '2 nonResourceAttributes NonResourceAttributes'],
  ResourceAttributes: ['1 namespace string', '2 verb string', '3 group string', '4 version string', '5 resource string', '6 subresource string', '7 name string'],
  NonResourceAttributes: ['1 path string', '2 verb string'],
  SelfSubjectRulesReview: ['1 metadata ObjectMeta', '2 spec SelfSubjectRulesReviewSpec'],
  SelfSubjectRulesReviewSpec: ['1 namespace string'],
  SubjectAccessReview: ['1 metadata ObjectMeta', '2 spec SubjectAccessReviewSpec'],
  SubjectAccessReviewSpec: ['1 resourceAttributes ResourceAttributes', '2 nonResourceAttributes NonResourceAttributes', '3 user string', '4 groups []string', '6 uid string'],
  TokenReview: ['1 metadata ObjectMeta', '2 spec TokenReviewSpec'],
  TokenReviewSpec: ['1 token string', '2 audiences []string'],
};
