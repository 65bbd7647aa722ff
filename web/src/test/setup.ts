// Testing Library unmounts after each test only when it finds a global afterEach; Vitest
// has none without `globals`, so it is done here.
import { afterEach } from 'vitest';
import { cleanup } from '@testing-library/react';

afterEach(cleanup);
