import { DEFAULT_OWN_SCHEMA } from '@matrix-reset/user-creds';
import { ResetError } from '../reset-error.ts';
import { targetReferences } from './admin-token-targets.ts';
import { nothingToUndo, type StepDefinition } from './step-definition.ts';

/**
 * Records the version every admin token/user target holds now (each store keeps the previous value on write), and
 * refuses read-only targets before anything is changed.
 */
export const backupSecrets: StepDefinition = {
  kind: 'backup-secrets',
  describe({ observation }) {
    const writable = observation.secrets.filter((s) => s.role !== 'shared-secret');
    return {
      description: `Record the current versions of ${writable.length} admin token/user targets (SSM versions are kept by SSM; other stores are copied into ${DEFAULT_OWN_SCHEMA})`,
      observed: { targets: writable.length },
    };
  },
  async execute(context) {
    const detail: Record<string, string | number> = {};
    for (const { reference } of targetReferences(context)) {
      const opened = context.connection.openSecretStore(reference);
      if (!opened.writable) {
        throw new ResetError('config_invalid', `${reference} is read-only, and the full reset writes the new admin token there`, {
          nextSteps: ['Point adminToken at writable stores (ssm:, k8s-secret:, dotenv:), make a new plan, and apply that one.'],
        });
      }
      const reading = await opened.read();
      detail[reference] = reading.exists ? (reading.version ?? 'unversioned') : 'absent';
    }
    return { targets: Object.keys(detail).length, ...detail };
  },
  undo: nothingToUndo('a backup of the secret versions: kept'),
};
