-- An app may hold several JWT secrets at once, so a secret can be rotated with an overlap:
-- tokens signed with the old or the new secret verify until the old one is revoked.
CREATE TABLE IF NOT EXISTS app_jwt_secrets (
  id          text PRIMARY KEY,
  app_id      text NOT NULL REFERENCES apps (id),
  -- HS256 needs the secret itself to verify end-user tokens, so it cannot be hashed.
  secret      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);
CREATE INDEX IF NOT EXISTS app_jwt_secrets_active ON app_jwt_secrets (app_id) WHERE revoked_at IS NULL;

INSERT INTO app_jwt_secrets (id, app_id, secret, created_at)
SELECT 'jwts_' || id, id, jwt_secret, created_at FROM apps
ON CONFLICT (id) DO NOTHING;

-- The secrets now live in app_jwt_secrets; the column is kept (empty for new apps) so that
-- an older build still starts against this schema.
ALTER TABLE apps ALTER COLUMN jwt_secret DROP NOT NULL;
