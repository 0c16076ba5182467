import type { FastifyInstance } from 'fastify';
import { readPolicyFile } from '../../plugins/app/policy-file.js';
import { AgenciesAdmin } from './agencies.service.js';
import { AdministrationPolicy } from './four-eyes.policy.js';
import { RoleRequests } from './role-requests.service.js';
import { UsersAdmin } from './users.service.js';

/** The admin workspace's services; `policies/administration.yaml` is read and checked at start. */
export class AdminService {
  readonly users: UsersAdmin;
  readonly agencies: AgenciesAdmin;
  readonly roleRequests: RoleRequests;
  readonly policy: AdministrationPolicy;

  constructor(app: FastifyInstance) {
    const policy = readPolicyFile(app.config.POLICIES_DIR, 'administration.yaml', AdministrationPolicy);
    this.policy = policy;
    this.users = new UsersAdmin(app, policy);
    this.agencies = new AgenciesAdmin(app, app.policy.policies.areas.areas);
    this.roleRequests = new RoleRequests(app);
  }
}
