import { doctor } from '../doctor/doctor.ts';
import { ResetError } from '../reset-error.ts';
import { requireStoredAdminToken, withSynapse } from './admin-token-targets.ts';
import { nothingToUndo, type StepDefinition, type StepDescription, type StepDetail } from './step-definition.ts';

/**
 * The plan's last step: checks that what the plan set out to fix is fixed. After a repair, the doctor over every row
 * finds no drift a repair fixes (rows naming deactivated users are the app's decision, counted apart, unless the plan
 * cleared them); after a full reset or a restore of the admin, the admin token in the primary target works on the new Synapse and the doctor
 * (through a fresh session carrying that token) finds nothing broken. Fails the run with `drift_found` otherwise.
 */
export const verifyStep: StepDefinition = {
  kind: 'verify',
  describe({ mode, report }): StepDescription {
    if (mode !== 'repair') return { description: 'Check the admin token and the stored credentials (doctor)', observed: {} };
    return { description: 'Check every stored credential again (doctor); fail when any is still broken', observed: { broken: report.recommendation.evidence.broken } };
  },
  async execute(context): Promise<StepDetail> {
    const { environment, db } = context.connection;
    if (context.plan.mode !== 'repair') {
      const token = await requireStoredAdminToken(context);
      const report = await withSynapse(context, token, (synapse) => doctor(environment, { synapse, db }));
      const { action, reason, evidence } = report.recommendation;
      if (action !== 'nothing' || report.adminToken !== 'valid') {
        throw new ResetError('drift_found', `Verification after the ${context.plan.mode}: admin token ${report.adminToken}; ${action}: ${reason}`, {
          nextSteps: ['Run matrix-reset doctor to see the rows, fix the cause, and resume the run.'],
        });
      }
      return { adminToken: report.adminToken, action, checked: evidence.checked, valid: evidence.valid, broken: evidence.broken };
    }
    const report = await doctor(environment, { synapse: context.connection.synapse, db });
    const { action, reason, evidence } = report.recommendation;
    const clearedDeactivated = context.plan.steps.some((s) => s.kind === 'clear-deactivated-users');
    if (action !== 'nothing' || (clearedDeactivated && evidence.deactivated > 0)) {
      const what = action !== 'nothing' ? `${action}: ${reason}` : `${evidence.deactivated} rows still name deactivated Matrix users after the plan cleared them`;
      throw new ResetError('drift_found', `Verification after the repair: ${what}`, {
        nextSteps: ['Run matrix-reset doctor to see the rows, fix the cause, and resume the run.'],
      });
    }
    return { action, checked: evidence.checked, valid: evidence.valid, broken: evidence.broken, deactivated: evidence.deactivated };
  },
  undo: nothingToUndo('a check: changed nothing'),
};
