import { parseArgs } from 'node:util';
import { ConfigError, loadCliConfig } from '../platform/config';
import { apiClient, CliError } from './cli/api-client';
import { exportUsage } from './cli/export-usage';
import { importUsage } from './cli/import-usage';
import { listAccounts } from './cli/list-accounts';
import { outputFormat } from './cli/output';

const HELP = `tollbooth: the operator's CLI; it calls the API at TOLLBOOTH_URL (default http://127.0.0.1:3000)
with ADMIN_TOKEN (or DATA_DIR/admin-token, as written by npm start).

  tollbooth usage import FILE [--format ndjson|csv] [--batch-size 1000] [--checkpoint FILE]
      Sends the file's usage events exactly once (a service key from TOLLBOOTH_SERVICE_KEY, or one
      minted for the run). Ctrl-C or a crash: run the same command again to resume.
  tollbooth usage export --account ID --from YYYY-MM-DD --to YYYY-MM-DD [--tz ZONE] [--meter M]
      [--format csv|ndjson] [--out FILE]
      Daily usage, the numbers of the account's dashboard.
  tollbooth accounts list [--format table|csv|ndjson]
`;

const OPTIONS = {
  format: { type: 'string' },
  'batch-size': { type: 'string' },
  checkpoint: { type: 'string' },
  account: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  tz: { type: 'string' },
  meter: { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function required(values: Record<string, unknown>, ...names: string[]): void {
  const missing = names.filter((n) => !values[n]);
  if (missing.length) throw new CliError(`missing ${missing.map((n) => `--${n}`).join(', ')}\n\n${HELP}`);
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  const command = positionals.slice(0, 2).join(' ');
  if (values.help || positionals.length === 0) {
    process.stdout.write(HELP);
    return 0;
  }
  const config = loadCliConfig();
  const api = apiClient(config);
  switch (command) {
    case 'usage import': {
      const file = positionals[2];
      if (!file) throw new CliError(`usage import needs a FILE\n\n${HELP}`);
      const batchSize = Number(values['batch-size'] ?? 1000);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new CliError('--batch-size must be an integer from 1 to 10000');
      const { checkpoint, interrupted } = await importUsage(api, {
        file,
        format: values.format,
        batchSize,
        checkpointFile: values.checkpoint,
        serviceKey: config.TOLLBOOTH_SERVICE_KEY,
      });
      return interrupted ? 130 : checkpoint.rejected > 0 ? 2 : 0;
    }
    case 'usage export':
      required(values, 'account', 'from', 'to');
      await exportUsage(api, {
        account: values.account!,
        from: values.from!,
        to: values.to!,
        tz: values.tz,
        meter: values.meter,
        format: outputFormat(values.format, 'csv'),
        out: values.out,
      });
      return 0;
    case 'accounts list':
      await listAccounts(api, outputFormat(values.format, 'table'));
      return 0;
    default:
      throw new CliError(`unknown command "${positionals.join(' ')}"\n\n${HELP}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const known = err instanceof CliError || err instanceof ConfigError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`tollbooth: ${known ? (err as Error).message : ((err as Error).stack ?? String(err))}\n`);
    process.exit(1);
  },
);
