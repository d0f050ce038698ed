// An AKS cluster for Spark with kspark (docs/aks.md):
// - Kubernetes RBAC with AKS-managed Entra ID authentication, so that the
//   RoleBindings `kspark tenant create --user/--group` writes for Entra object
//   IDs are what decides (Azure RBAC for Kubernetes would bypass them);
// - the OIDC issuer and workload identity, for keyless ADLS Gen2 access;
// - a system node pool and a separate `spark` pool (autoscaled);
// - an Azure Container Registry the kubelet may pull from (AcrPull);
// - a user-assigned managed identity for Spark and an ADLS Gen2 account
//   (hierarchical namespace) with a filesystem, on which the identity is
//   Storage Blob Data Contributor.
// Deploy: az deployment group create --resource-group RG --template-file deploy/aks/main.bicep --parameters …

@description('Azure region of every resource (default: the resource group\'s).')
param location string = resourceGroup().location

@description('Name of the AKS cluster.')
param clusterName string = 'kspark-aks'

@description('Object IDs of the Entra groups whose members are cluster admins (they run kspark tenant create).')
param adminGroupObjectIds array

@description('VM size of the system node pool.')
param systemVmSize string = 'Standard_D4ds_v5'

@description('Nodes in the system pool.')
@minValue(1)
param systemNodeCount int = 2

@description('VM size of the Spark node pool (drivers and executors).')
param sparkVmSize string = 'Standard_E8ds_v5'

@description('Fewest nodes of the Spark pool (the autoscaler adds more up to sparkMaxCount).')
@minValue(0)
param sparkMinCount int = 1

@description('Most nodes of the Spark pool.')
@minValue(1)
param sparkMaxCount int = 10

@description('Name of the container registry (globally unique, alphanumeric).')
param acrName string

@description('Name of the storage account for ADLS Gen2 (globally unique, 3-24 lowercase letters and digits).')
param storageAccountName string

@description('Name of the ADLS Gen2 filesystem (container) Spark reads and writes.')
param filesystemName string = 'data'

@description('Name of the user-assigned managed identity Spark runs as.')
param sparkIdentityName string = 'kspark-spark'

// Built-in role definitions (their IDs are the same in every Azure tenant).
var acrPullRoleId = '7f951dda-4ed3-4680-a7ca-43fe172d538d'
var storageBlobDataContributorRoleId = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

resource acr 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: acrName
  location: location
  sku: {
    name: 'Standard'
  }
}

resource aks 'Microsoft.ContainerService/managedClusters@2024-05-01' = {
  name: clusterName
  location: location
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    dnsPrefix: clusterName
    enableRBAC: true
    aadProfile: {
      managed: true
      enableAzureRBAC: false
      adminGroupObjectIDs: adminGroupObjectIds
    }
    oidcIssuerProfile: {
      enabled: true
    }
    securityProfile: {
      workloadIdentity: {
        enabled: true
      }
    }
    agentPoolProfiles: [
      {
        name: 'system'
        mode: 'System'
        vmSize: systemVmSize
        count: systemNodeCount
        osType: 'Linux'
      }
      {
        name: 'spark'
        mode: 'User'
        vmSize: sparkVmSize
        count: sparkMinCount
        enableAutoScaling: true
        minCount: sparkMinCount
        maxCount: sparkMaxCount
        osType: 'Linux'
      }
    ]
  }
}

// What `az aks create --attach-acr` does: the kubelet's identity may pull.
resource kubeletPullsFromAcr 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(acr.id, aks.id, acrPullRoleId)
  scope: acr
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPullRoleId)
    principalId: aks.properties.identityProfile.kubeletidentity.objectId
    principalType: 'ServicePrincipal'
  }
}

resource sparkIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: sparkIdentityName
  location: location
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageAccountName
  location: location
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    isHnsEnabled: true
    minimumTlsVersion: 'TLS1_2'
    allowBlobPublicAccess: false
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource filesystem 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: filesystemName
}

resource sparkReadsAndWritesStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, sparkIdentity.id, storageBlobDataContributorRoleId)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributorRoleId)
    principalId: sparkIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

@description('Issuer of the cluster\'s service account tokens: the --issuer of az identity federated-credential create.')
output oidcIssuerUrl string = aks.properties.oidcIssuerProfile.issuerURL

@description('The API server, for kspark submit --master k8s://https://FQDN:443.')
output apiServerFqdn string = aks.properties.fqdn

@description('Client ID of the Spark identity: kspark tenant create --workload-identity.')
output sparkIdentityClientId string = sparkIdentity.properties.clientId

@description('Login server of the registry, the prefix of image names.')
output acrLoginServer string = acr.properties.loginServer
