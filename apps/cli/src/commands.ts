import CredsClear from './commands/creds/clear.ts';
import CredsInventory from './commands/creds/inventory.ts';
import CredsRestore from './commands/creds/restore.ts';
import CredsSnapshot from './commands/creds/snapshot.ts';
import Demo from './commands/demo.ts';
import Doctor from './commands/doctor.ts';
import Init from './commands/init.ts';
import LocalBootstrap from './commands/local/bootstrap.ts';
import Rbac from './commands/rbac.ts';
import Plan from './commands/plan.ts';
import Apply from './commands/apply.ts';
import Resume from './commands/resume.ts';
import Status from './commands/status.ts';
import Rollback from './commands/rollback.ts';
import Prune from './commands/prune.ts';
import Verify from './commands/verify.ts';
import ServiceToken from './commands/service/token.ts';

/** Every command, by id (oclif's explicit command strategy: package.json `oclif.commands`). */
export const COMMANDS = {
  init: Init,
  doctor: Doctor,
  'local:bootstrap': LocalBootstrap,
  rbac: Rbac,
  plan: Plan,
  apply: Apply,
  resume: Resume,
  status: Status,
  rollback: Rollback,
  prune: Prune,
  'creds:inventory': CredsInventory,
  'creds:snapshot': CredsSnapshot,
  'creds:clear': CredsClear,
  'creds:restore': CredsRestore,
  verify: Verify,
  demo: Demo,
  'service:token': ServiceToken,
};
