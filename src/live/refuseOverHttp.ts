import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { OperationTypeNode } from 'graphql';
import { ErrorCode } from '../errors.js';
import { GatewayError, refusalText } from '../graphql/errors.js';

/**
 * A subscription POSTed to /graphql would run once as a query, without its feed: refuse it (HTTP 400
 * BAD_REQUEST) and say where subscriptions are served.
 */
export function refuseSubscriptionsOverHttp(): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation !== OperationTypeNode.SUBSCRIPTION) return;
          throw new GatewayError(ErrorCode.BAD_REQUEST, refusalText.BAD_REQUEST.subscriptionOverHttp, {
            http: { status: 400 },
          });
        },
      };
    },
  };
}
