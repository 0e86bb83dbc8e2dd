import { packageProject } from '../../vitest.shared';

export default packageProject('deit-eval');
