/**
 * The web dashboards (analyst triage, the transport authority's vehicles and map, the
 * auditor's ledger and in-browser proof checks), served by the node at `/`. The pages talk
 * to the GraphQL API over HTTP only; the one piece of Vigil they bundle is the ledger's
 * browser-safe verifier and the anchor part's (anchor/verifier.ts).
 */
export { createDashboards, bundleDashboards, contentSecurityPolicy, CONTENT_SECURITY_POLICY } from './server.js';
export type { Dashboards, DashboardsOptions, DashboardBundle, Asset } from './server.js';
