/**
 * The Git module's server side: smart HTTP (clone, fetch, push with protected-branch
 * checks and push events) and the repository files API. Reading files in-process goes
 * through `RepositoryStore` (`app.services.repositories.readFileAtRef`).
 */
export { createGitHttpHandler, type GitHttpDeps } from './smart_http.js';
export { registerRepositoryFileRoutes, type FileRouteDeps } from './files_api.js';
export { RepositoryStore, type RepositoryFile } from './repos.js';
