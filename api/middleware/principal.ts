/** Who is calling. Resolved once per request by the authenticate middleware. */
export type Principal =
  | { kind: 'anonymous' }
  | { kind: 'admin' }
  | { kind: 'account'; accountId: string; keyId: string }
  /** A read-only dashboard token: GET /dashboard/* of one account, until it expires. */
  | { kind: 'dashboard'; accountId: string }
  | { kind: 'app'; appId: string; accountId: string; keyId: string }
  | { kind: 'end_user'; appId: string; accountId: string; customerId: string }
  | { kind: 'service'; keyId: string; scopes: string[] };

export type PrincipalKind = Exclude<Principal['kind'], 'anonymous'>;
