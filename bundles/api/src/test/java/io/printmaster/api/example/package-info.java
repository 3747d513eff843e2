/**
 * Minimal plugins, one per contract, built by {@code ComponentPropertyTypesTest} with bnd to check which service
 * properties the plugin annotations give. Test sources only: they never ship.
 */
package io.printmaster.api.example;
