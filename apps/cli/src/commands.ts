import CredsClear from './commands/creds/clear.ts';
import CredsInventory from './commands/creds/inventory.ts';
import CredsRestore from './commands/creds/restore.ts';
import CredsSnapshot from './commands/creds/snapshot.ts';
import Doctor from './commands/doctor.ts';
import Init from './commands/init.ts';
import LocalBootstrap from './commands/local/bootstrap.ts';
import Rbac from './commands/rbac.ts';
import Verify from './commands/verify.ts';

/** Every command, by id (oclif's explicit command strategy: package.json `oclif.commands`). */
export const COMMANDS = {
  init: Init,
  doctor: Doctor,
  'local:bootstrap': LocalBootstrap,
  rbac: Rbac,
  'creds:inventory': CredsInventory,
  'creds:snapshot': CredsSnapshot,
  'creds:clear': CredsClear,
  'creds:restore': CredsRestore,
  verify: Verify,
};
