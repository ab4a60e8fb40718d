import { Client, Connection, WorkflowExecutionAlreadyStartedError, type WorkflowClientInterceptor } from '@temporalio/client';
import { workflowStarts } from './metrics';

/** A Temporal client plus a cheap liveness probe for /readyz. */
export async function connectTemporal(
  address: string,
  namespace: string,
): Promise<{ client: Client; healthy: () => Promise<boolean>; close: () => Promise<void> }> {
  const connection = await Connection.connect({ address, connectTimeout: 10_000 });
  const client = new Client({ connection, namespace, interceptors: { workflow: [countStarts] } });
  return {
    client,
    healthy: async () => {
      try {
        await connection.withDeadline(Date.now() + 1_500, () => connection.workflowService.getSystemInfo({}));
        return true;
      } catch {
        return false;
      }
    },
    close: () => connection.close(),
  };
}

/** Every way the service starts a workflow goes through the client: count them in one place. */
const countStarts: WorkflowClientInterceptor = {
  startWithDetails: (input, next) => counted(input.workflowType, next(input)),
  signalWithStart: (input, next) => counted(input.workflowType, next(input)),
  startUpdateWithStart: (input, next) => counted(input.workflowType, next(input)),
};

async function counted<T>(workflow: string, started: Promise<T>): Promise<T> {
  try {
    const result = await started;
    workflowStarts.labels(workflow, 'started').inc();
    return result;
  } catch (err) {
    workflowStarts.labels(workflow, err instanceof WorkflowExecutionAlreadyStartedError ? 'already_started' : 'failed').inc();
    throw err;
  }
}
