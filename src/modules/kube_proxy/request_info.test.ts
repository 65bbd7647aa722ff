import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requestInfo } from './request_info.js';

const CASES: Array<[string, string, Partial<ReturnType<typeof requestInfo>>]> = [
  ['GET', '/api/v1/namespaces/default/pods', { verb: 'list', apiGroup: '', apiVersion: 'v1', resource: 'pods', namespace: 'default', name: '' }],
  ['GET', '/api/v1/namespaces/default/pods?watch=true&resourceVersion=5', { verb: 'watch', resource: 'pods' }],
  ['GET', '/api/v1/namespaces/default/pods/web-1/log?follow=true', { verb: 'get', resource: 'pods', subresource: 'log', name: 'web-1' }],
  ['POST', '/api/v1/namespaces/default/pods/web-1/exec?command=echo', { verb: 'create', subresource: 'exec' }],
  ['POST', '/apis/apps/v1/namespaces/prod/deployments', { verb: 'create', apiGroup: 'apps', apiVersion: 'v1', resource: 'deployments', namespace: 'prod' }],
  ['PATCH', '/apis/apps/v1/namespaces/prod/deployments/web', { verb: 'patch', name: 'web' }],
  ['DELETE', '/api/v1/namespaces/default/configmaps', { verb: 'deletecollection', resource: 'configmaps' }],
  ['DELETE', '/api/v1/namespaces/default/configmaps/a', { verb: 'delete', name: 'a' }],
  ['GET', '/api/v1/namespaces/kube-system', { verb: 'get', resource: 'namespaces', name: 'kube-system', namespace: 'kube-system' }],
  ['GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles', { verb: 'list', apiGroup: 'rbac.authorization.k8s.io', resource: 'clusterroles', namespace: '' }],
  ['GET', '/version', { verb: 'get', resource: '/version', apiGroup: '' }],
  ['GET', '/openapi/v3', { resource: '/openapi/v3' }],
];

for (const [method, path, expected] of CASES) {
  test(`${method} ${path}`, () => {
    const info = requestInfo(method, path);
    for (const [k, v] of Object.entries(expected)) assert.equal(info[k as keyof typeof info], v, k);
  });
}
