using System.Reflection;

namespace NukeContainers.Build.Parameters;

/// One declared parameter: a [Parameter] field or property of the build or of a component interface.
internal sealed record DeclaredParameter(MemberInfo Member, Type Type, ParameterAttribute Attribute, bool IsSecret)
{
    public string MemberName => Member.Name[(Member.Name.LastIndexOf('.') + 1)..];
    public string Name => Attribute.Name ?? NameStyle.Kebab(MemberName);
    public string Flag => "--" + Name;
    public IReadOnlyList<string> EnvironmentNames => [NameStyle.Snake(Name), "NUKE_" + NameStyle.Snake(Name)];
    public string Display => $"{Flag} (or {EnvironmentNames[0]})";
}

/// The build's parameters and their bound values. Precedence: command line, environment, NUKE_ environment, default.
internal sealed class ParameterSet
{
    private const BindingFlags Members = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
    private readonly Dictionary<string, object?> _bound = new();
    private readonly HashSet<string> _read = [];
    private readonly HashSet<string> _fromCommandLine = [];

    private ParameterSet(IReadOnlyList<DeclaredParameter> declared) => Declared = declared;

    public IReadOnlyList<DeclaredParameter> Declared { get; }

    public static ParameterSet Discover(Type buildType)
    {
        var types = new List<Type>();
        for (var type = buildType; type is not null && type != typeof(object); type = type.BaseType) types.Add(type);
        types.AddRange(buildType.GetInterfaces());

        var found = new List<DeclaredParameter>();
        foreach (var member in types.SelectMany(t => t.GetMembers(Members)))
        {
            if (member.GetCustomAttribute<ParameterAttribute>() is not { } attribute) continue;
            var type = member switch { FieldInfo f => f.FieldType, PropertyInfo p => p.PropertyType, _ => null };
            if (type is null) continue;
            var parameter = new DeclaredParameter(member, type, attribute, member.GetCustomAttribute<SecretAttribute>() is not null);
            if (found.All(p => p.MemberName != parameter.MemberName)) found.Add(parameter);
        }
        return new ParameterSet(found);
    }

    public DeclaredParameter? Find(string memberName) => Declared.FirstOrDefault(p => p.MemberName == memberName);

    /// The bound value of a parameter, if it has one; the parameter counts as read by the run (pipelines read side by side).
    public bool TryGetBound(string memberName, out object? value)
    {
        lock (_read) _read.Add(memberName);
        return _bound.TryGetValue(memberName, out value);
    }

    /// <summary>
    /// The parameters given on the command line that the run never read: a component's (read through TryGetValue,
    /// so a read is seen; a build's own fields are not) that no target or check of the run asked for.
    /// </summary>
    public IReadOnlyList<DeclaredParameter> GivenButUnread()
    {
        lock (_read)
            return Declared.Where(p => _fromCommandLine.Contains(p.MemberName) && !_read.Contains(p.MemberName) && p.Member is PropertyInfo { DeclaringType.IsInterface: true }).ToList();
    }

    /// Binds every parameter that the command line or the environment sets, and registers secrets with the masker.
    /// When lenient is given (for --help), values that do not convert are collected there instead of thrown.
    public void Bind(object build, CommandLine line, IReadOnlyDictionary<string, string> environment, string rootDirectory, SecretMasker masker, List<string>? lenient = null)
    {
        foreach (var parameter in Declared)
        {
            var fromLine = line.Values(parameter.Name);
            var (values, variable) = fromLine is not null ? (fromLine, null) : FromEnvironment(parameter, environment);
            if (fromLine is not null) _fromCommandLine.Add(parameter.MemberName);
            if (values is not null)
            {
                if (parameter.IsSecret) masker.Add(values); // before converting, so not even an error message shows it
                var display = variable is null ? parameter.Display : $"{parameter.Flag} (from the environment variable {variable})";
                object? value;
                try
                {
                    value = ValueConverter.Convert(parameter.Type, values, display, rootDirectory);
                }
                catch (ParameterException e) when (lenient is not null)
                {
                    lenient.Add(e.Message);
                    continue;
                }
                _bound[parameter.MemberName] = value;
                Assign(build, parameter.Member, value);
            }
            if (parameter.IsSecret) masker.Add(CurrentValue(build, parameter));
        }
    }

    /// The value a parameter has now: bound, or the member's own default.
    public object? CurrentValue(object build, DeclaredParameter parameter)
    {
        if (_bound.TryGetValue(parameter.MemberName, out var bound)) return bound;
        return parameter.Member switch
        {
            FieldInfo field => field.GetValue(build),
            PropertyInfo { DeclaringType.IsInterface: false } property => property.GetValue(build),
            _ => null, // a component's property reads its value back from this set; calling it here would recurse
        };
    }

    private static (IReadOnlyList<string>? Values, string? Variable) FromEnvironment(DeclaredParameter parameter, IReadOnlyDictionary<string, string> environment)
    {
        foreach (var name in parameter.EnvironmentNames)
            if (environment.TryGetValue(name, out var value) && value.Length > 0)
                return (ValueConverter.SplitEnvironmentValue(parameter.Type, value), name);
        return (null, null);
    }

    private static void Assign(object build, MemberInfo member, object? value)
    {
        switch (member)
        {
            case FieldInfo field:
                field.SetValue(build, value);
                break;
            case PropertyInfo { DeclaringType.IsInterface: false } property when property.SetMethod is not null:
                property.SetValue(build, value);
                break;
            case PropertyInfo { DeclaringType: { IsInterface: false } declaring } property:
                // A get-only auto-property keeps its value in a compiler-generated backing field.
                declaring.GetField($"<{property.Name}>k__BackingField", Members)?.SetValue(build, value);
                break;
        }
    }
}
