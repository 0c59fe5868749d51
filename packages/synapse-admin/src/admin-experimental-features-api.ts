import {
  getExperimentalFeatures,
  setExperimentalFeatures,
  type ExperimentalFeatureId,
  type ExperimentalFeatures,
} from './admin-experimental-features.ts';
import type { ClientContext } from './client-context.ts';

/**
 * Per-user experimental features (MSCs) of local users. Reached as `client.admin.experimentalFeatures`.
 *
 * @example
 * ```ts
 * await client.admin.experimentalFeatures.set('@alice:example.org', { msc3575: true });
 * ```
 */
export class SynapseExperimentalFeaturesAdminApi {
  readonly #context: ClientContext;

  /** @internal */
  constructor(context: ClientContext) {
    this.#context = context;
    Object.freeze(this);
  }

  /**
   * Every feature Synapse offers per user, and whether it is enabled for this local user.
   *
   * @example
   * ```ts
   * const { features } = await client.admin.experimentalFeatures.get('@alice:example.org');
   * if (features.msc3575) console.log('sliding sync on');
   * ```
   */
  get(userId: string): Promise<ExperimentalFeatures> {
    return getExperimentalFeatures(this.#context, userId);
  }

  /**
   * Enables or disables the listed features for a local user; the others keep their state.
   *
   * @example
   * ```ts
   * await client.admin.experimentalFeatures.set('@alice:example.org', { msc3881: true, msc4222: false });
   * ```
   */
  set(userId: string, features: Readonly<Partial<Record<ExperimentalFeatureId, boolean>>>): Promise<void> {
    return setExperimentalFeatures(this.#context, userId, features);
  }
}
