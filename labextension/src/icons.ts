import { LabIcon } from '@jupyterlab/ui-components';

import ilumSvg from '../style/icons/ilum.svg';

export const ilumIcon = new LabIcon({ name: 'ilum:logo', svgstr: ilumSvg });
