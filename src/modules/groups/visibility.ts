import type { Visibility } from '../../store/schema.js';

export const VISIBILITIES: readonly Visibility[] = ['private', 'internal', 'public'];
export const VISIBILITY_RANK: Record<Visibility, number> = { private: 0, internal: 10, public: 20 };
