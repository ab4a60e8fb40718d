import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes, so an operator finds any workflow in the Temporal UI by business key
 * (e.g. `AccountId = "acct_..."`). The dev server is started with exactly these (bin/, test/).
 */
export const AccountId = defineSearchAttributeKey('AccountId', SearchAttributeType.KEYWORD);
export const AppId = defineSearchAttributeKey('AppId', SearchAttributeType.KEYWORD);
export const CustomerId = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const StripeObjectId = defineSearchAttributeKey('StripeObjectId', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES: Record<string, 'Keyword'> = {
  AccountId: 'Keyword',
  AppId: 'Keyword',
  CustomerId: 'Keyword',
  StripeObjectId: 'Keyword',
};
