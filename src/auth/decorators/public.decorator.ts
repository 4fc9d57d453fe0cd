import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'bulwark:isPublic';
/** Marks a route that needs no access token; every other route requires one. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
